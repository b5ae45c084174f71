package io.lineinspect.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A section owned by a module ({@link ConfigModule#sections()}), bound and validated by the
 * module's record inside the core's tree, and a module's {@link ConfigModule#conclude} on the whole
 * tree.
 */
class ModuleSectionTest {
  private static final String LINE = "line:\n  name: l1\n  budgetMs: 40\n";
  private static final String BUILTIN = LINE + "inference:\n  backend: builtin\n";
  private static final String DJL = LINE + "inference:\n  backend: djl\n";
  private static final List<ConfigModule> WITH_MODULE = List.of(new TestSectionModule());

  private static ServiceConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "test.yaml", WITH_MODULE);
  }

  private static String error(String yaml, List<ConfigModule> modules) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml", modules))
        .getMessage();
  }

  private static String error(String yaml) {
    return error(yaml, WITH_MODULE);
  }

  @Test
  void shouldBindTheModulesSectionWithTheModulesRecord() {
    ServiceConfig c = parse(DJL + "  djl:\n    mode: exact\n    size: 8\n");
    assertEquals(new TestSection("exact", 8), c.inference().djl().as(TestSection.class));
    assertTrue(c.inference().djl().given());
    assertEquals("inference.djl", c.inference().djl().key());
  }

  @Test
  void shouldApplyTheModulesDefaultsWhenTheSectionIsLeftOut() {
    TestSection defaults = new TestSection(null, null);
    ServiceConfig c = parse(DJL);
    assertEquals(defaults, c.inference().djl().as(TestSection.class));
    assertFalse(c.inference().djl().given());
    assertEquals(defaults, parse(DJL + "  djl:\n").inference().djl().as(TestSection.class));
    assertEquals(defaults, parse(BUILTIN).inference().djl().as(TestSection.class));
  }

  @Test
  void shouldNameTheFullPathOfAnUnknownKeyInTheModulesSection() {
    assertEquals(
        "test.yaml: inference.djl.sise: unknown key (known keys here: mode, size)",
        error(DJL + "  djl:\n    sise: 3\n"));
  }

  @Test
  void shouldNameTheKeyOfABadValueInTheModulesSection() {
    assertEquals(
        "test.yaml: inference.djl.size: must be between 1 and 8, got 9",
        error(DJL + "  djl:\n    size: 9\n"));
    assertEquals(
        "test.yaml: inference.djl.mode: must be one of fast, exact, got 'slow'",
        error(DJL + "  djl:\n    mode: slow\n"));
    String m = error(DJL + "  djl:\n    size: lots\n");
    assertTrue(m.startsWith("test.yaml: inference.djl.size: expected an integer"), m);
    m = error(DJL + "  djl:\n    size: 1\n    size: 2\n");
    assertTrue(m.startsWith("test.yaml: inference.djl.size: key given twice"), m);
  }

  @Test
  void shouldRefuseTheDjlBackendWhenNoModuleOwnsItsSection() {
    String m = error(DJL, List.of());
    assertTrue(m.startsWith("test.yaml: inference.backend: djl needs module gpu-inference"), m);
    assertTrue(m.contains("not on the class path"), m);
    assertEquals(m, error(DJL + "  djl:\n    mode: exact\n", List.of()));
  }

  @Test
  void shouldRefuseASectionThatNoModuleOnTheClassPathReads() {
    assertEquals(
        "test.yaml: inference.djl: no module on the class path reads this section (it belongs to"
            + " module gpu-inference)",
        error(BUILTIN + "  djl:\n    device: cpu\n", List.of()));
    ServiceConfig c = ConfigLoader.parse(BUILTIN, "test.yaml", List.of());
    assertFalse(c.inference().djl().hasModule());
    String m =
        assertThrows(ConfigException.class, () -> c.inference().djl().as(TestSection.class))
            .getMessage();
    assertEquals("inference.djl: no module on the class path reads this section", m);
  }

  @Test
  void shouldHoldASectionGivenInCodeOrLeftOut() {
    InferenceConfig given =
        new InferenceConfig(
            "djl", null, ModuleSection.of(InferenceConfig.DJL, new TestSection("exact", 2)));
    assertEquals(new TestSection("exact", 2), given.djl().as(TestSection.class));
    InferenceConfig absent = new InferenceConfig("djl", null, null);
    assertEquals(null, absent.djl().as(TestSection.class));
    assertTrue(absent.djl().hasModule());
    assertThrows(IllegalStateException.class, () -> given.djl().as(String.class));
  }

  @Test
  void shouldLetEveryModuleConcludeOnTheAssembledTree() {
    assertEquals(
        "test.yaml: line.name: 'refused' is refused by the test module",
        error(BUILTIN.replace("name: l1", "name: refused")));
    ConfigLoader.parse(BUILTIN.replace("name: l1", "name: refused"), "test.yaml", List.of());
  }

  @Test
  void shouldRefuseTwoModulesOwningOneSection() {
    ConfigModule other =
        new ConfigModule() {
          @Override
          public java.util.Map<String, Class<?>> sections() {
            return java.util.Map.of(InferenceConfig.DJL, String.class);
          }
        };
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                ConfigLoader.parse(BUILTIN, "test.yaml", List.of(new TestSectionModule(), other)));
    assertTrue(e.getMessage().startsWith("configuration section 'inference.djl' is defined twice"));
  }
}
