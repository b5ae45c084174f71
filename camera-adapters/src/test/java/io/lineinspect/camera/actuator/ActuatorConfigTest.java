package io.lineinspect.camera.actuator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ActuatorsConfig;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import org.junit.jupiter.api.Test;

/**
 * This module's part of the line configuration: the {@code actuators.outputs} types it contributes
 * through {@link ActuatorConfigModule}, loaded by the core's {@link ConfigLoader}.
 */
class ActuatorConfigTest {
  private static final String BACKEND = "inference:\n  backend: builtin\n";
  private static final String MINIMAL = "line:\n  name: l1\n  budgetMs: 40\n" + BACKEND;

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml"))
        .getMessage();
  }

  private static final String PLC =
      "actuators:\n"
          + "  timing:\n"
          + "    travelMs: 120\n"
          + "  outputs:\n"
          + "    - type: modbus\n"
          + "      host: 10.0.0.5\n"
          + "      cameras: {cam-1: 0, cam-2: 1}\n"
          + "      registerAddress: 100\n"
          + "    - type: tcp-line\n"
          + "      host: gw\n"
          + "      port: 9100\n"
          + "    - type: log\n";

  @Test
  void shouldLoadActuatorOutputsWithDefaults() {
    ServiceConfig c = ConfigLoader.parse(MINIMAL + PLC, "test.yaml");
    ActuatorsConfig a = c.actuators();
    assertEquals(120.0, a.timing().travelMs());
    assertEquals(5.0, a.timing().lateToleranceMs());
    assertTrue(a.timing().fromCapture());
    assertEquals(3, a.outputs().size());
    ModbusOutputConfig m = (ModbusOutputConfig) a.outputs().get(0);
    assertEquals("plc", m.name());
    assertEquals(502, m.port());
    assertEquals(30, m.pulseMs());
    assertEquals(1, m.slotOf("cam-2"));
    assertEquals(-1, m.slotOf("cam-9"));
    assertEquals(9100, ((TcpLineOutputConfig) a.outputs().get(1)).port());
    assertEquals("log", a.outputs().get(2).name());
    assertTrue(ConfigLoader.parse(MINIMAL, "test.yaml").actuators().outputs().isEmpty());
  }

  @Test
  void shouldNameTheOutputOfAnActuatorProblem() {
    String m = error(MINIMAL + PLC.replace("      host: 10.0.0.5\n", ""));
    assertEquals("test.yaml: actuators.outputs[0].host: required value is missing", m);
    m = error(MINIMAL + PLC.replace("type: tcp-line", "type: tcp-lines"));
    assertEquals(
        "test.yaml: actuators.outputs[1]: unknown type 'tcp-lines' (known types: log, modbus,"
            + " tcp-line)",
        m);
    m = error(MINIMAL + PLC.replace("    - type: log\n", "    - name: x\n"));
    assertTrue(m.startsWith("test.yaml: actuators.outputs[2]: 'type' is missing"), m);
    m = error(MINIMAL + PLC.replace("      port: 9100\n", "      port: 9100\n      prt: 1\n"));
    assertTrue(m.startsWith("test.yaml: actuators.outputs[1].prt: unknown key"), m);
  }

  @Test
  void shouldRefuseRejectTimingThatCannotWork() {
    String m = error(MINIMAL + PLC.replace("    travelMs: 120\n", "    responseMs: 1\n"));
    assertTrue(m.startsWith("test.yaml: actuators.timing.travelMs: required when"), m);
    m = error(MINIMAL + PLC.replace("travelMs: 120", "travelMs: 30"));
    assertTrue(m.contains("rejects fire 30.0 ms after capture"), m);
    assertTrue(m.contains("line.budgetMs"), m);
    ServiceConfig fromGeometry =
        ConfigLoader.parse(
            BACKEND
                + "line:\n  name: l\n  geometry: {cameraToGateMm: 100, beltSpeedMmPerS: 1000, actuatorLeadMs: 10}\n"
                + PLC.replace("    travelMs: 120\n", "    responseMs: 5\n"),
            "test.yaml");
    assertEquals(100.0, fromGeometry.actuators().timing().travelMs(), 1e-9);
  }
}
