package io.lineinspect.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.decide.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String BACKEND = "inference:\n  backend: builtin\n";
  private static final String MINIMAL = "line:\n  name: l1\n  budgetMs: 40\n" + BACKEND;

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml"))
        .getMessage();
  }

  @Test
  void shouldApplyDefaultsToAMinimalConfig() {
    ServiceConfig c = ConfigLoader.parse(MINIMAL, "test.yaml");
    assertEquals("l1", c.line().name());
    assertEquals(40, c.line().budgetMs());
    assertEquals(Verdict.FAIL, c.line().failSafeVerdict());
    assertEquals(7600, c.ingest().port());
    assertEquals(256, c.pipeline().ringSize());
    assertEquals(8 << 20, c.ingest().maxMessageBytes());
    assertEquals("builtin", c.inference().backend());
  }

  @Test
  void shouldRefuseAConfigThatDoesNotNameItsBackend() {
    // The builtin heuristic passes lens caps: it must never judge a line by default.
    String m = error("line:\n  name: l1\n  budgetMs: 40\n");
    assertTrue(m.startsWith("test.yaml: inference: required section is missing"), m);
    m = error("line:\n  name: l1\n  budgetMs: 40\ninference:\n  djl:\n    device: cpu\n");
    assertTrue(m.startsWith("test.yaml: inference.backend: required"), m);
    assertTrue(m.contains("djl") && m.contains("builtin"), m);
  }

  @Test
  void shouldRefuseAWatchdogLeadThatLeavesNoTimeToJudge() {
    String m = error(MINIMAL + "pipeline:\n  watchdogLeadMs: 40\n");
    assertTrue(m.startsWith("test.yaml: pipeline.watchdogLeadMs: 40.0 ms leaves no time"), m);
    assertTrue(m.contains("line.budgetMs (40 ms)"), m);
    ConfigLoader.parse(MINIMAL + "pipeline:\n  watchdogLeadMs: 39.5\n", "test.yaml");
  }

  @Test
  void shouldRefuseAKeyGivenTwice() {
    String m = error("line:\n  name: l1\n  budgetMs: 40\n  budgetMs: 80\n" + BACKEND);
    assertTrue(m.startsWith("test.yaml: line.budgetMs: key given twice at line 4"), m);
    m = error(MINIMAL + "ingest:\n  port: 1\ningest:\n  port: 2\n");
    assertTrue(m.startsWith("test.yaml: ingest: key given twice"), m);
  }

  @Test
  void shouldValidateTheClientLimits() {
    ServiceConfig c = ConfigLoader.parse(MINIMAL, "test.yaml");
    assertEquals(64, c.ingest().maxConnections());
    assertEquals(16, c.ingest().maxConnectionsPerAddress());
    assertEquals(2_000, c.ingest().helloTimeoutMs());
    assertEquals(2_000, c.ingest().messageTimeoutMs());
    assertEquals(128L << 20, c.ingest().maxBufferedBytes());
    assertEquals(1_000, c.ingest().maxFramesPerSecond());
    assertEquals(
        "test.yaml: ingest.maxConnectionsPerAddress: must be between 1 and 8, got 9",
        error(MINIMAL + "ingest:\n  maxConnections: 8\n  maxConnectionsPerAddress: 9\n"));
    assertTrue(
        error(MINIMAL + "ingest:\n  maxBufferedBytes: 1000\n")
            .startsWith("test.yaml: ingest.maxBufferedBytes: must be between 8388616"));
    assertTrue(
        error(MINIMAL + "ingest:\n  helloTimeoutMs: 0\n")
            .startsWith("test.yaml: ingest.helloTimeoutMs: must be between 10"));
    String m =
        assertThrows(ConfigException.class, () -> c.checkFitsDirectMemory(128L << 20)).getMessage();
    assertTrue(m.startsWith("ingest.maxBufferedBytes (134217728) is more than half"), m);
    c.checkFitsDirectMemory(1L << 30); // bin/inspect's default cap: fits
  }

  @Test
  void shouldNameAnUnknownKeyAndListTheKnownOnes() {
    String m = error(MINIMAL + "pipeline:\n  maxBtch: 4\n");
    assertTrue(m.startsWith("test.yaml: pipeline.maxBtch: unknown key"), m);
    assertTrue(m.contains("maxBatch"), m);
  }

  @Test
  void shouldNameAKeyWithAWrongType() {
    String m = error(MINIMAL + "pipeline:\n  maxBatch: lots\n");
    assertTrue(m.startsWith("test.yaml: pipeline.maxBatch: expected an integer"), m);
  }

  @Test
  void shouldNameAMissingRequiredValue() {
    String m = error("line:\n  name: l1\n");
    assertEquals("test.yaml: line.budgetMs: required value is missing (or give line.geometry)", m);
  }

  @Test
  void shouldDeriveTheBudgetFromTheLineGeometry() {
    ServiceConfig c =
        ConfigLoader.parse(
            BACKEND
                + "line:\n  name: l1\n  geometry:\n    cameraToGateMm: 300\n    beltSpeedMmPerS: 2000\n"
                + "    actuatorLeadMs: 20\n",
            "test.yaml");
    assertEquals(
        130, c.line().budgetMs()); // 300 mm at 2 m/s = 150 ms, minus 20 ms for the actuator
  }

  @Test
  void shouldRefuseBothABudgetAndAGeometry() {
    String m =
        error(
            BACKEND
                + "line:\n  name: l1\n  budgetMs: 50\n  geometry:\n    cameraToGateMm: 300\n"
                + "    beltSpeedMmPerS: 2000\n");
    assertTrue(m.contains("line.budgetMs: give either budgetMs or geometry, not both"), m);
    m = error(BACKEND + "line:\n  name: l1\n  geometry:\n    cameraToGateMm: 300\n");
    assertEquals("test.yaml: line.geometry.beltSpeedMmPerS: required value is missing", m);
  }

  @Test
  void shouldRefuseARingThatCouldHoldMoreFramesThanTheHeap() {
    ServiceConfig c =
        ConfigLoader.parse(
            MINIMAL + "pipeline:\n  ringSize: 4096\ningest:\n  maxMessageBytes: 16777216\n",
            "test.yaml");
    String m = assertThrows(ConfigException.class, () -> c.checkFitsHeap(4L << 30)).getMessage();
    assertTrue(
        m.startsWith("pipeline.ringSize (4096) x ingest.maxMessageBytes (16777216) = 64.0 GiB"), m);
    ConfigLoader.parse(MINIMAL, "test.yaml").checkFitsHeap(4L << 30); // defaults: 2 GiB, fits
  }

  @Test
  void shouldDefaultAndValidateTheImagePixelLimit() {
    assertEquals(36_000_000, ConfigLoader.parse(MINIMAL, "test.yaml").ingest().maxImagePixels());
    assertEquals(
        4_000_000,
        ConfigLoader.parse(MINIMAL + "ingest:\n  maxImagePixels: 4000000\n", "test.yaml")
            .ingest()
            .maxImagePixels());
    assertEquals(
        "test.yaml: ingest.maxImagePixels: must be between 1 and 2147483647, got 0",
        error(MINIMAL + "ingest:\n  maxImagePixels: 0\n"));
  }

  @Test
  void shouldNameAMissingRequiredSection() {
    assertEquals(
        "test.yaml: line: required section is missing", error("pipeline:\n  maxBatch: 4\n"));
  }

  @Test
  void shouldNameAValueOutOfRange() {
    String m = error(MINIMAL + "pipeline:\n  ringSize: 1000\n");
    assertEquals("test.yaml: pipeline.ringSize: must be a power of two, got 1000", m);
    m = error(MINIMAL + "pipeline:\n  maxBatch: 0\n");
    assertEquals("test.yaml: pipeline.maxBatch: must be between 1 and 1024, got 0", m);
  }

  @Test
  void shouldListTheAllowedValuesOfAnEnum() {
    String m = error("line:\n  name: l1\n  budgetMs: 40\n  failSafeVerdict: MAYBE\n" + BACKEND);
    assertTrue(m.contains("line.failSafeVerdict: expected one of [PASS, FAIL], got 'MAYBE'"), m);
  }

  @Test
  void shouldReportInvalidYamlWithItsPosition() {
    String m = error("line:\n  name: 'unclosed\n");
    assertTrue(m.startsWith("test.yaml: not valid YAML at line"), m);
  }

  @Test
  void shouldNameAMissingFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing)).getMessage();
    assertEquals(missing + ": configuration file not found", m);
  }

  @Test
  void shouldRejectAnEmptyFile(@TempDir Path dir) throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
    String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(empty)).getMessage();
    assertTrue(m.contains("configuration is empty"), m);
  }

  @Test
  void shouldTakeActuatorOutputTypesFromTheModulesOnTheClassPath() {
    // The core alone has no output types; with one module, exactly that module's.
    List<ConfigModule> one = List.of(new TestConfigModule());
    ServiceConfig c =
        ConfigLoader.parse(
            MINIMAL
                + "actuators:\n  timing: {travelMs: 120}\n  outputs:\n    - type: test-output\n      name: t\n",
            "test.yaml",
            one);
    assertEquals(new TestOutputConfig("t"), c.actuators().outputs().get(0));
    String modbus = MINIMAL + "actuators:\n  outputs:\n    - type: modbus\n      name: t\n";
    String m =
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(modbus, "test.yaml", one))
            .getMessage();
    assertEquals(
        "test.yaml: actuators.outputs[0]: unknown type 'modbus' (known types: test-output)", m);
    m = error(modbus);
    assertEquals(
        "test.yaml: actuators.outputs[0]: unknown type 'modbus' (no actuator output types on the"
            + " class path)",
        m);
  }

  @Test
  void shouldLoadBuiltinQualityLimitsAndTheUnfitAlarmWithDefaults() {
    ServiceConfig c = ConfigLoader.parse(MINIMAL, "test.yaml");
    assertEquals(
        io.lineinspect.core.quality.QualityLimits.defaults(), c.inference().builtin().quality());
    assertEquals(30, c.quality().alarmAfter());
    assertEquals(30, c.quality().clearAfter());
    c =
        ConfigLoader.parse(
            MINIMAL
                + "  builtin:\n    quality:\n      minSharpness: 0.03\n"
                + "      maxClippedFraction: 0.1\nquality:\n  alarmAfter: 5\n",
            "test.yaml");
    assertEquals(0.03, c.inference().builtin().quality().minSharpness());
    assertEquals(0.1, c.inference().builtin().quality().maxClippedFraction());
    assertEquals(
        io.lineinspect.core.quality.QualityLimits.DEFAULT_MIN_BRIGHTNESS,
        c.inference().builtin().quality().minBrightness());
    assertEquals(5, c.quality().alarmAfter());
  }

  @Test
  void shouldNameABadQualityKey() {
    String m = error(MINIMAL + "  builtin:\n    quality:\n      minContrst: 0.1\n");
    assertTrue(m.startsWith("test.yaml: inference.builtin.quality.minContrst: unknown key"), m);
    assertTrue(m.contains("minContrast"), m);
    m = error(MINIMAL + "  builtin:\n    quality:\n      minContrast: 1.5\n");
    assertEquals(
        "test.yaml: inference.builtin.quality.minContrast: must be between 0 and 1, got 1.5", m);
    m = error(MINIMAL + "quality:\n  alarmAfter: 0\n");
    assertEquals("test.yaml: quality.alarmAfter: must be between 1 and 1000000, got 0", m);
  }

  @Test
  void shouldWarmUpEveryFormatByDefaultAndOnlyTheNamedOnesWhenAsked() {
    ServiceConfig c = ConfigLoader.parse(MINIMAL, "test.yaml");
    assertTrue(c.warmup().enabled());
    assertEquals(java.util.List.of("MONO8", "BGR8", "RGB8", "JPEG", "PNG"), c.warmup().formats());
    c =
        ConfigLoader.parse(
            MINIMAL + "warmup:\n  formats: [jpeg, MONO8]\n  width: 1920\n  height: 1200\n",
            "test.yaml");
    assertEquals(
        java.util.List.of(
            io.lineinspect.core.frame.PixelFormat.JPEG,
            io.lineinspect.core.frame.PixelFormat.MONO8),
        c.warmup().pixelFormats());
    assertEquals(1920, c.warmup().width());
    String m = error(MINIMAL + "warmup:\n  formats: [YUV422]\n");
    assertTrue(m.startsWith("test.yaml: warmup.formats: unknown pixel format 'YUV422'"), m);
    m = error(MINIMAL + "warmup:\n  maxMs: 5\n");
    assertEquals("test.yaml: warmup.maxMs: must be between 100 and 600000, got 5", m);
  }

  @Test
  void shouldReadTheCameraSeriesLimitsAndNameABadMetricsKey() {
    ServiceConfig c =
        ConfigLoader.parse(
            MINIMAL + "metrics:\n  cameras: [cam-a, cam-b]\n  maxCameraSeries: 8\n", "test.yaml");
    assertEquals(java.util.List.of("cam-a", "cam-b"), c.metrics().cameras());
    assertEquals(8, c.metrics().maxCameraSeries());
    assertEquals(java.util.Set.of("cam-a", "cam-b"), c.namedCameras());
    ServiceConfig d = ConfigLoader.parse(MINIMAL, "test.yaml");
    assertEquals(64, d.metrics().maxCameraSeries());
    assertTrue(d.namedCameras().isEmpty());
    String m = error(MINIMAL + "metrics:\n  camras: [cam-a]\n");
    assertEquals(
        "test.yaml: metrics.camras: unknown key (known keys here: cameras, maxCameraSeries)", m);
    m = error(MINIMAL + "metrics:\n  maxCameraSeries: -1\n");
    assertEquals("test.yaml: metrics.maxCameraSeries: must be between 0 and 10000, got -1", m);
    m = error(MINIMAL + "metrics:\n  cameras: [cam-a, cam-a]\n");
    assertEquals("test.yaml: metrics.cameras: camera id 'cam-a' is listed twice", m);
    m = error(MINIMAL + "metrics:\n  cameras: [other]\n");
    assertTrue(m.startsWith("test.yaml: metrics.cameras: 'other' is the label"), m);
  }
}
