package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.ServiceConfig;
import org.junit.jupiter.api.Test;

/**
 * This module's part of the line configuration: {@code inference.djl}, bound to {@link
 * DjlBackendConfig} through {@link DjlConfigModule} (found on the class path by the core's {@link
 * ConfigLoader}); the keys are those of {@code docs/configuration.md}.
 */
class DjlConfigTest {
  private static final String DJL =
      "line:\n  name: l1\n  budgetMs: 40\ninference:\n  backend: djl\n";

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml"))
        .getMessage();
  }

  @Test
  void shouldBindTheDjlSection() {
    ServiceConfig c =
        ConfigLoader.parse(
            DJL
                + "  djl:\n    manifest: models/x/2/manifest.yaml\n    device: cpu\n"
                + "    maxBatch: 8\n    threads: 2\n",
            "test.yaml");
    assertEquals(
        new DjlBackendConfig("models/x/2/manifest.yaml", "cpu", 8, 2),
        DjlBackendConfig.of(c.inference()));
    assertTrue(c.inference().djl().given());
  }

  @Test
  void shouldApplyTheDefaultsWhenTheSectionIsLeftOut() {
    ServiceConfig c = ConfigLoader.parse(DJL, "test.yaml");
    DjlBackendConfig d = DjlBackendConfig.of(c.inference());
    assertEquals(DjlBackendConfig.defaults(), d);
    assertEquals("models/demo-defects/1/manifest.yaml", d.manifest());
    assertEquals("auto", d.device());
    assertEquals(16, d.maxBatch());
    assertEquals(0, d.threads());
    assertFalse(c.inference().djl().given());
    assertEquals(d, DjlBackendConfig.of(InferenceConfig.builtinForTests()));
  }

  @Test
  void shouldNameTheFullKeyOfAnUnknownKeyOrABadValue() {
    assertEquals(
        "test.yaml: inference.djl.devise: unknown key (known keys here: device, manifest,"
            + " maxBatch, threads)",
        error(DJL + "  djl:\n    devise: cpu\n"));
    assertEquals(
        "test.yaml: inference.djl.device: must be one of auto, cpu, gpu, got 'tpu'",
        error(DJL + "  djl:\n    device: tpu\n"));
    assertEquals(
        "test.yaml: inference.djl.maxBatch: must be between 1 and 1024, got 0",
        error(DJL + "  djl:\n    maxBatch: 0\n"));
    String m = error(DJL + "  djl:\n    threads: many\n");
    assertTrue(m.startsWith("test.yaml: inference.djl.threads: expected an integer"), m);
  }
}
