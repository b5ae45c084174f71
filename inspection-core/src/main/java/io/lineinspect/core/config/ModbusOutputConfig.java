package io.lineinspect.core.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PLC over Modbus TCP: pulses a coil per reject at the scheduled time, and/or writes every
 * verdict into a block of holding registers (for PLCs that track parts in their own shift
 * register). Register map and timing: {@code docs/actuators.md}.
 *
 * @param name output name (default {@code plc})
 * @param host PLC address (required)
 * @param port Modbus TCP port (default 502)
 * @param unitId Modbus unit id (default 1)
 * @param cameras camera id → slot (0, 1, …): camera slot {@code s} pulses coil {@code pulseCoil +
 *     s} and writes registers at {@code registerAddress + 16·s}. Empty (default): one slot, 0, for
 *     every camera
 * @param pulseCoil first reject coil (default 0); null with {@code pulse: false}
 * @param pulse whether rejects pulse a coil (default true)
 * @param pulseMs how long the coil stays on (default 30)
 * @param registerAddress first holding register of the verdict blocks, or null (default) for no
 *     register output
 * @param encoderOffset encoder counts from the camera to the gate, added to a frame's encoder count
 *     for the register block's gate position (default 0)
 * @param alarmCoil a coil set on when a reject could not be delivered ("stop line"), or null
 * @param requestTimeoutMs a write not answered within this is counted as failed (default 50)
 * @param connectTimeoutMs connection attempt timeout (default 1000)
 * @param reconnectMinMs first reconnect delay, doubled up to {@code reconnectMaxMs} (default 200)
 * @param reconnectMaxMs longest reconnect delay (default 5000)
 */
public record ModbusOutputConfig(
    String name,
    String host,
    Integer port,
    Integer unitId,
    Map<String, Integer> cameras,
    Boolean pulse,
    Integer pulseCoil,
    Integer pulseMs,
    Integer registerAddress,
    Long encoderOffset,
    Integer alarmCoil,
    Integer requestTimeoutMs,
    Integer connectTimeoutMs,
    Integer reconnectMinMs,
    Integer reconnectMaxMs)
    implements ActuatorOutputConfig {
  /** Holding registers per camera slot (see {@code docs/actuators.md}). */
  public static final int REGISTER_BLOCK = 16;

  public ModbusOutputConfig {
    name = Check.text("name", name, "plc");
    host = Check.text("host", host, null);
    port = Check.intIn("port", port, 502, 1, 65_535);
    unitId = Check.intIn("unitId", unitId, 1, 0, 255);
    cameras = cameras == null ? Map.of() : new LinkedHashMap<>(cameras);
    for (Map.Entry<String, Integer> e : cameras.entrySet()) {
      Check.intIn("cameras." + e.getKey(), e.getValue(), null, 0, 255);
    }
    pulse = pulse == null || pulse;
    pulseCoil = Check.intIn("pulseCoil", pulseCoil, 0, 0, 65_535);
    pulseMs = Check.intIn("pulseMs", pulseMs, 30, 1, 60_000);
    if (registerAddress != null) {
      Check.intIn("registerAddress", registerAddress, null, 0, 65_535 - REGISTER_BLOCK);
    }
    encoderOffset = encoderOffset == null ? 0L : encoderOffset;
    if (alarmCoil != null) {
      Check.intIn("alarmCoil", alarmCoil, null, 0, 65_535);
    }
    requestTimeoutMs = Check.intIn("requestTimeoutMs", requestTimeoutMs, 50, 1, 60_000);
    connectTimeoutMs = Check.intIn("connectTimeoutMs", connectTimeoutMs, 1000, 10, 60_000);
    reconnectMinMs = Check.intIn("reconnectMinMs", reconnectMinMs, 200, 10, 60_000);
    reconnectMaxMs = Check.intIn("reconnectMaxMs", reconnectMaxMs, 5000, reconnectMinMs, 600_000);
    if (!pulse && registerAddress == null) {
      throw new ConfigException(
          "pulse is false and registerAddress is not set: this output would do nothing");
    }
  }

  /** The same output talking to another server, with another camera → slot map (the demo). */
  public ModbusOutputConfig pointedAt(String host, int port, Map<String, Integer> cameras) {
    return new ModbusOutputConfig(
        name,
        host,
        port,
        unitId,
        cameras,
        pulse,
        pulseCoil,
        pulseMs,
        registerAddress,
        encoderOffset,
        alarmCoil,
        requestTimeoutMs,
        connectTimeoutMs,
        reconnectMinMs,
        reconnectMaxMs);
  }

  /** The slot of a camera, or -1 when the camera is not mapped on a line that maps cameras. */
  public int slotOf(String cameraId) {
    if (cameras.isEmpty()) {
      return 0;
    }
    Integer slot = cameras.get(cameraId);
    return slot == null ? -1 : slot;
  }
}
