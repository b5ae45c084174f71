package io.lineinspect.app.demo;

import io.lineinspect.camera.actuator.ModbusOutputConfig;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.ActuatorOutputConfig;
import io.lineinspect.core.config.ActuatorsConfig;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.sim.GateRecord;
import io.lineinspect.sim.RejectGate;
import io.lineinspect.sim.RejectGateProcess;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedRejectGate;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's actuator side: points the configuration's Modbus outputs at a simulated PLC with
 * reject pushers (or a real Modbus server, or none), and afterwards reports what left the belt.
 */
final class DemoActuators implements AutoCloseable {
  /**
   * Order area used when {@code --reject-firing plc} meets a config without {@code ordersAddress}.
   */
  static final int DEFAULT_ORDERS_ADDRESS = 1000;

  private final ServiceConfig config;
  private final RejectGate gate;
  private final String target;
  private final Map<String, Integer> coilOf;

  private DemoActuators(
      ServiceConfig config, RejectGate gate, String target, Map<String, Integer> coilOf) {
    this.config = config;
    this.gate = gate;
    this.target = target;
    this.coilOf = coilOf;
  }

  /**
   * @param plc {@code sim} (a simulated PLC in a process of its own), {@code sim-in-process},
   *     {@code none} or {@code HOST:PORT}
   * @param cameras the demo's cameras, {@code cam-1 … cam-N}: camera i gets slot i−1
   * @param firing {@code plc} or {@code service} for every Modbus output, or null to keep the
   *     config's ({@code --reject-firing})
   */
  static DemoActuators prepare(ServiceConfig config, String plc, int cameras, String firing)
      throws IOException {
    return prepare(config, plc, cameras, firing, 0);
  }

  /**
   * @param simPlcPriority the simulated PLC's stroke thread asks for {@code SCHED_FIFO} at this
   *     priority (0: normal priority)
   */
  static DemoActuators prepare(
      ServiceConfig config, String plc, int cameras, String firing, int simPlcPriority)
      throws IOException {
    List<ActuatorOutputConfig> outputs = config.actuators().outputs();
    if (outputs.isEmpty()) {
      return new DemoActuators(config, null, null, Map.of());
    }
    if ("none".equals(plc)) {
      return new DemoActuators(
          config.withActuators(new ActuatorsConfig(config.actuators().timing(), List.of())),
          null,
          null,
          Map.of());
    }
    RejectGate gate = null;
    String host;
    int port;
    if ("sim".equals(plc) || "sim-in-process".equals(plc)) {
      gate = "sim".equals(plc) ? RejectGateProcess.start() : SimulatedRejectGate.start();
      host = "127.0.0.1";
      port = gate.port();
    } else {
      int colon = plc.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            "--plc must be sim, sim-in-process, none or HOST:PORT, got " + plc);
      }
      host = plc.substring(0, colon);
      try {
        port = Integer.parseInt(plc.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--plc port is not a number: " + plc);
      }
    }
    Map<String, Integer> slots = new LinkedHashMap<>();
    for (int i = 1; i <= cameras; i++) {
      slots.put("cam-" + i, i - 1);
    }
    Map<String, Integer> coilOf = new LinkedHashMap<>();
    List<ActuatorOutputConfig> rewritten = new ArrayList<>();
    for (ActuatorOutputConfig o : outputs) {
      if (o instanceof ModbusOutputConfig m) {
        ModbusOutputConfig re = m.pointedAt(host, port, slots);
        if (firing != null && !firing.equals(re.firing())) {
          Integer orders = re.ordersAddress() != null ? re.ordersAddress() : DEFAULT_ORDERS_ADDRESS;
          re = re.withFiring(firing, orders);
        }
        rewritten.add(re);
        if ((re.pulse() || re.plcFiring()) && coilOf.isEmpty()) {
          ModbusOutputConfig chosen = re;
          slots.forEach((camera, slot) -> coilOf.put(camera, chosen.pulseCoil() + slot));
          if (re.plcFiring() && gate != null) {
            // The simulated PLC drives the pushers from the orders, on the same coils.
            gate.acceptOrders(re.ordersAddress(), cameras, re.pulseCoil(), simPlcPriority);
          }
        }
      } else {
        rewritten.add(o);
      }
    }
    ServiceConfig cfg =
        config.withActuators(new ActuatorsConfig(config.actuators().timing(), rewritten));
    return new DemoActuators(cfg, gate, host + ":" + port, coilOf);
  }

  ServiceConfig config() {
    return config;
  }

  /** Whether the (first) Modbus output hands rejects to the PLC to fire. */
  boolean plcFiring() {
    return config.actuators().outputs().stream()
        .filter(ModbusOutputConfig.class::isInstance)
        .map(ModbusOutputConfig.class::cast)
        .anyMatch(ModbusOutputConfig::plcFiring);
  }

  RejectGate gate() {
    return gate;
  }

  void describe(PrintStream out) {
    if (target == null) {
      return;
    }
    RejectTimingConfig t = config.actuators().timing();
    out.printf(
        Locale.ROOT,
        "reject actuators: %s on %s, rejects fire %.0f ms after capture, timed by the %s%s%n",
        gate != null
            ? "simulated PLC with pushers (Modbus TCP, " + gate.where() + ")"
            : "Modbus TCP server",
        target,
        t.travelMs() - t.responseMs(),
        plcFiring() ? "PLC (orders handed over at the verdict)" : "service (coil pulses)",
        t.schedulerRealtimePriority() == null
            ? ""
            : ", reject-scheduler SCHED_FIFO " + t.schedulerRealtimePriority());
  }

  /** Prints the actuator figures and returns them for the JSON summary. */
  Map<String, Object> report(RejectScheduler rejects, SimStats stats, PrintStream out)
      throws InterruptedException {
    Map<String, Object> json = new LinkedHashMap<>();
    if (rejects == null) {
      return json;
    }
    ActuatorMetrics.Snapshot s = rejects.metrics().snapshot();
    Map<String, Long> missed = new LinkedHashMap<>();
    s.missed().forEach((c, n) -> missed.put(c.name(), n));
    out.printf(
        Locale.ROOT,
        "actuators: verdicts %d, rejects scheduled %d, missed %d%s, confirmed p50 %.2f ms / p99"
            + " %.2f ms after due%n",
        s.verdicts(),
        s.rejectsScheduled(),
        s.missedTotal(),
        s.missedTotal() == 0 ? "" : " " + nonZero(s.missed()),
        s.confirmLatencyP50Us() / 1000.0,
        s.confirmLatencyP99Us() / 1000.0);
    json.put("rejectsScheduled", s.rejectsScheduled());
    json.put("rejectsMissed", s.missedTotal());
    json.put("rejectsMissedByCause", missed);
    s.outputs()
        .forEach(
            (name, o) -> {
              if (!ActuatorMetrics.SCHEDULER.equals(name)) {
                out.printf(
                    Locale.ROOT,
                    "  output %s: fired %d, confirmed %d, connects %d, other problems %d%n",
                    name,
                    o.fired(),
                    o.delivered(),
                    o.connects(),
                    o.problems());
              }
            });
    if (gate != null) {
      RejectTimingConfig t = config.actuators().timing();
      long travelUs = (long) ((t.travelMs() - t.responseMs()) * 1000);
      int pulseMs =
          config.actuators().outputs().stream()
              .filter(ModbusOutputConfig.class::isInstance)
              .map(ModbusOutputConfig.class::cast)
              .mapToInt(ModbusOutputConfig::pulseMs)
              .findFirst()
              .orElse(10);
      long windowUs = Math.max(2_000, pulseMs * 500L);
      // A PLC-timed stroke fires on the PLC's clock, after the service has closed: let the last
      // ones happen before the books close.
      GateRecord rec = gate.awaitStrokes(t.travelMs().longValue() + 1_000);
      GateRecord.Outcome g = rec.judge(stats.parts(), coilOf, travelUs, windowUs);
      out.printf(
          Locale.ROOT,
          "reject gate (pusher hits a part within ±%.1f ms of its gate time): defective parts"
              + " rejected %d of %d, defects escaped %d%s, good parts rejected %d, pusher strokes %d"
              + " (%d hit no part)%n",
          windowUs / 1000.0,
          g.defectsRejected(),
          g.defectsRejected() + g.defectsEscaped(),
          g.defectsEscaped(),
          g.escapedExamples().isEmpty() ? "" : " " + g.escapedExamples(),
          g.goodRejected(),
          g.pulses(),
          g.strayPulses());
      out.printf(
          Locale.ROOT,
          "stroke timing error (stroke vs nearest part's gate time): p50 %.3f ms, p99 %.3f ms,"
              + " max %.3f ms (%s)%n",
          g.strokeErrorP50Us() / 1000.0,
          g.strokeErrorP99Us() / 1000.0,
          g.strokeErrorMaxUs() / 1000.0,
          plcFiring() ? "fired by the PLC" : "pulsed by the service");
      if (plcFiring()) {
        List<Long> own = rec.sortedStrokeErrorsUs();
        long ownP99 = own.isEmpty() ? 0 : own.get((int) Math.ceil(own.size() * 0.99) - 1);
        long ownMax = own.isEmpty() ? 0 : own.get(own.size() - 1);
        out.printf(
            Locale.ROOT,
            "simulated PLC (stroke thread %s): stroke after its order's due time p99 %.3f ms, max"
                + " %.3f ms; orders taken %d, refused as late %d%s%n",
            rec.strokeThreadRealtime(),
            ownP99 / 1000.0,
            ownMax / 1000.0,
            rec.ordersTaken(),
            rec.ordersLate(),
            rec.lateOrders().isEmpty() ? "" : " (camera-slot:sequence " + rec.lateOrders() + ")");
        json.put("plcOrdersTaken", rec.ordersTaken());
        json.put("plcOrdersLate", rec.ordersLate());
        json.put("plcStrokeAfterDueP99Ms", ownP99 / 1000.0);
        json.put("plcStrokeAfterDueMaxMs", ownMax / 1000.0);
        json.put("plcStrokeThread", rec.strokeThreadRealtime());
      }
      json.put("rejectFiring", plcFiring() ? "plc" : "service");
      json.put("strokeTimingErrorP50Ms", g.strokeErrorP50Us() / 1000.0);
      json.put("strokeTimingErrorP99Ms", g.strokeErrorP99Us() / 1000.0);
      json.put("strokeTimingErrorMaxMs", g.strokeErrorMaxUs() / 1000.0);
      json.put("defectsRejectedAtGate", g.defectsRejected());
      json.put("defectsEscapedAtGate", g.defectsEscaped());
      json.put("goodPartsRejectedAtGate", g.goodRejected());
      json.put("pusherStrokes", g.pulses());
      json.put("strayPusherStrokes", g.strayPulses());
    }
    return json;
  }

  private static String nonZero(Map<MissCause, Long> m) {
    StringBuilder b = new StringBuilder("(");
    m.forEach(
        (c, n) -> {
          if (n > 0) {
            b.append(b.length() == 1 ? "" : ", ").append(c).append(' ').append(n);
          }
        });
    return b.append(')').toString();
  }

  @Override
  public void close() {
    if (gate != null) {
      gate.close();
    }
  }
}
