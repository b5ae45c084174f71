package io.lineinspect.camera.actuator;

import io.lineinspect.core.config.ActuatorOutputConfig;
import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PLC over Modbus TCP. {@code firing: service} (default): pulses a coil per reject at the time
 * the service schedules. {@code firing: plc}: hands each reject to the PLC as an order (due time,
 * encoder gate position) the moment its verdict exists, in a ring of order slots per camera that
 * the PLC acknowledges; the PLC fires the stroke on its own clock. Either can also write every
 * verdict into a block of holding registers. Register map, order protocol and timing: {@code
 * docs/actuators.md}.
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
 * @param firing {@code service} (default): the service times and pulses the reject coils; {@code
 *     plc}: the PLC times and fires the strokes from orders the service writes at once
 * @param ordersAddress first holding register of the order areas ({@code firing: plc}, required
 *     there): camera slot {@code s} uses the {@value #ORDER_AREA} registers at {@code ordersAddress
 *     + }{@value #ORDER_AREA}{@code ·s}
 * @param ackTimeoutMs an order the PLC has not acknowledged within this after it was sent is a
 *     missed reject ({@code TIMEOUT}) and its slot is free again (default 50)
 * @param ackPollMs how often the acknowledgements are read while orders are outstanding (default 2)
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
    Integer reconnectMaxMs,
    String firing,
    Integer ordersAddress,
    Integer ackTimeoutMs,
    Integer ackPollMs)
    implements ActuatorOutputConfig {
  /** Holding registers per camera slot (see {@code docs/actuators.md}). */
  /** The ids of the {@code cameras:} slot map. */
  @Override
  public java.util.Set<String> namedCameras() {
    return cameras.keySet();
  }

  public static final int REGISTER_BLOCK = 16;

  /** Order slots in each camera's ring ({@code firing: plc}). */
  public static final int ORDER_SLOTS = 8;

  /** Registers of one order slot, and of the acknowledgement header in front of the slots. */
  public static final int ORDER_BLOCK = 16;

  /** Registers of one camera's order area: the header, then {@value #ORDER_SLOTS} order slots. */
  public static final int ORDER_AREA = ORDER_BLOCK + ORDER_SLOTS * ORDER_BLOCK;

  /** {@code firing}: the service times the reject and pulses the coil. */
  public static final String FIRING_SERVICE = "service";

  /** {@code firing}: the PLC times and fires the stroke from the order it was handed. */
  public static final String FIRING_PLC = "plc";

  public ModbusOutputConfig {
    name = Check.text("name", name, "plc");
    host = Check.text("host", host, null);
    port = Check.intIn("port", port, 502, 1, 65_535);
    unitId = Check.intIn("unitId", unitId, 1, 0, 255);
    cameras = cameras == null ? Map.of() : new LinkedHashMap<>(cameras);
    for (Map.Entry<String, Integer> e : cameras.entrySet()) {
      Check.intIn("cameras." + e.getKey(), e.getValue(), null, 0, 255);
    }
    firing = Check.oneOf("firing", firing, FIRING_SERVICE, FIRING_SERVICE, FIRING_PLC);
    boolean plc = FIRING_PLC.equals(firing);
    if (plc && Boolean.TRUE.equals(pulse)) {
      throw new ConfigException(
          "pulse: true with firing: plc: the PLC fires the strokes from its orders; drop pulse"
              + " or use firing: service");
    }
    pulse = pulse == null ? !plc : pulse;
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
    int maxSlot = cameras.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    if (plc) {
      if (ordersAddress == null) {
        throw new ConfigException("ordersAddress: required with firing: plc");
      }
      Check.intIn("ordersAddress", ordersAddress, null, 0, 65_536 - ORDER_AREA * (maxSlot + 1));
    } else if (ordersAddress != null) {
      throw new ConfigException("ordersAddress: only used with firing: plc");
    }
    ackTimeoutMs = Check.intIn("ackTimeoutMs", ackTimeoutMs, 50, 1, 60_000);
    ackPollMs = Check.intIn("ackPollMs", ackPollMs, 2, 1, 1_000);
    if (!plc && !pulse && registerAddress == null) {
      throw new ConfigException(
          "pulse is false and registerAddress is not set: this output would do nothing");
    }
  }

  /** Whether the PLC times and fires the strokes ({@code firing: plc}). */
  public boolean plcFiring() {
    return FIRING_PLC.equals(firing);
  }

  /** The same output with another {@code firing}; {@code pulse} follows it (the demo's flag). */
  public ModbusOutputConfig withFiring(String newFiring, Integer newOrdersAddress) {
    boolean plc = FIRING_PLC.equals(newFiring);
    return new ModbusOutputConfig(
        name,
        host,
        port,
        unitId,
        cameras,
        plc ? Boolean.FALSE : Boolean.TRUE,
        pulseCoil,
        pulseMs,
        registerAddress,
        encoderOffset,
        alarmCoil,
        requestTimeoutMs,
        connectTimeoutMs,
        reconnectMinMs,
        reconnectMaxMs,
        newFiring,
        plc ? newOrdersAddress : null,
        ackTimeoutMs,
        ackPollMs);
  }

  /** First register of camera slot {@code slot}'s order area. */
  public int orderArea(int slot) {
    return ordersAddress + ORDER_AREA * slot;
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
        reconnectMaxMs,
        firing,
        ordersAddress,
        ackTimeoutMs,
        ackPollMs);
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
