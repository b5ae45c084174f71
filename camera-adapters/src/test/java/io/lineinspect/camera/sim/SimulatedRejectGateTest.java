package io.lineinspect.camera.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.actuator.ModbusOutput;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.ModbusOutputConfig;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The simulated PLC of {@code firing: plc}: the real Modbus output hands it orders over loopback,
 * and it fires each stroke itself at the order's due time.
 */
class SimulatedRejectGateTest {
  static final double TRAVEL_MS = 60;
  static final int ORDERS = 200;
  static final int REALTIME_PRIORITY = 60;

  private static ModbusOutputConfig plcTimed(int port) {
    return new ModbusOutputConfig(
        "plc",
        "127.0.0.1",
        port,
        1,
        Map.of("cam-1", 0, "cam-2", 1),
        null,
        4,
        10,
        null,
        0L,
        null,
        50,
        500,
        100,
        400,
        "plc",
        ORDERS,
        50,
        2);
  }

  private static RejectScheduler scheduler(ModbusOutput output, ActuatorMetrics metrics) {
    return new RejectScheduler(
        new RejectTimingConfig(TRAVEL_MS, 0.0, "capture", 2.0, 20.0, null, null, 1024),
        List.of(output),
        metrics,
        NanoClock.SYSTEM,
        RejectScheduler::systemEpochMicros);
  }

  private static void await(BooleanSupplier done, long ms) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!done.getAsBoolean() && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
  }

  @Test
  void plcTimedStrokesHappenWithinOneMillisecondOfTheirDueTime() throws Exception {
    // Like the demo: the stroke thread asks for SCHED_FIFO (a real PLC's cycle has its own CPU;
    // this one shares two cores with the build and whatever else runs).
    try (SimulatedRejectGate gate =
        SimulatedRejectGate.start().acceptOrders(ORDERS, 2, 4, REALTIME_PRIORITY)) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(gate.port()));
      List<SimStats.Part> parts = new ArrayList<>();
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        assertTrue(output.connected(), "connected to the simulated PLC");
        Thread.sleep(100);
        SplittableRandom random = new SplittableRandom(3);
        TestVerdict v = new TestVerdict();
        long period = 50_000_000L; // 20 parts/s per camera
        long start = System.nanoTime();
        for (int i = 0; i < 60; i++) {
          for (int c = 0; c < 2; c++) {
            long due = start + i * period + c * period / 2;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            boolean fail = random.nextInt(3) == 0;
            String camera = "cam-" + (c + 1);
            long captureUs = RejectScheduler.systemEpochMicros() - 5_000;
            s.onVerdict(
                v.part(
                    camera,
                    i + 1,
                    fail ? Verdict.FAIL : Verdict.PASS,
                    captureUs,
                    System.nanoTime()));
            parts.add(new SimStats.Part(camera, i + 1, captureUs, fail));
          }
        }
      }
      gate.awaitStrokes(2_000);
      long fails = parts.stream().filter(SimStats.Part::defective).count();
      List<Long> errors = new ArrayList<>(gate.strokeErrorsUs());
      Collections.sort(errors);
      System.out.printf(
          "simulated PLC strokes: %d FAIL parts, %d strokes, stroke - due p50 %d us, min %d us,"
              + " max %d us%n",
          fails,
          errors.size(),
          errors.isEmpty() ? 0 : errors.get(errors.size() / 2),
          errors.isEmpty() ? 0 : errors.get(0),
          errors.isEmpty() ? 0 : errors.get(errors.size() - 1));
      assertEquals(0, metrics.missed(), metrics.snapshot().toString());
      assertEquals(fails, gate.ordersTaken(), "every order taken");
      assertEquals(fails, errors.size(), "one stroke per FAIL part");
      long within = errors.stream().filter(e -> e >= -1_000 && e <= 1_000).count();
      // The simulated PLC shares this JVM (and its GC pauses) and the test's two shared cores: a
      // real PLC has neither. So: never early, nearly all within ±1 ms; timing figures belong to
      // the demo and its printed stroke error, not to a timed assertion here.
      System.out.println("stroke thread: " + gate.strokeThreadRealtime());
      assertTrue(errors.get(0) >= -1_000, "no stroke early: " + errors);
      assertTrue(within >= 0.9 * errors.size(), "90 % within ±1 ms: " + errors);
      // And physically: every defective part (and no good one) pushed off, from coils 4 and 5.
      SimulatedRejectGate.Outcome g =
          gate.judge(parts, Map.of("cam-1", 4, "cam-2", 5), (long) (TRAVEL_MS * 1000), 5_000);
      assertEquals(fails, g.defectsRejected(), g.toString());
      assertEquals(0, g.goodRejected(), g.toString());
      assertEquals(0, g.strayPulses(), g.toString());
      assertTrue(g.strokeErrorP50Us() <= 1_000, g.toString());
    }
  }

  @Test
  void plcTimedAnOrderThatArrivesAfterItsDueTimeIsNotFiredAndIsCounted() throws Exception {
    try (SimulatedRejectGate gate = SimulatedRejectGate.start().acceptOrders(ORDERS, 2, 4)) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(gate.port()));
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        Thread.sleep(100);
        TestVerdict v = new TestVerdict();
        long now = RejectScheduler.systemEpochMicros();
        // Captured and received 100 ms ago, travel 60 ms: its part passed the gate 40 ms ago.
        s.onVerdict(
            v.part(
                "cam-1",
                5,
                Verdict.FAIL,
                now - 100_000,
                System.nanoTime() - java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100)));
        s.onVerdict(v.part("cam-1", 6, Verdict.FAIL, now, System.nanoTime()));
        await(
            () ->
                metrics.missed(MissCause.LATE) == 1
                    && metrics.snapshot().outputs().get("plc").delivered() == 1,
            3_000);
      }
      gate.awaitStrokes(2_000);
      assertEquals(1, gate.ordersLate(), "the late order counted by the PLC");
      assertEquals(List.of("0:5"), gate.lateOrders());
      assertEquals(1, gate.ordersTaken());
      assertEquals(1, gate.strokeErrorsUs().size(), "only the order in time fired");
      assertEquals(1, metrics.missed(MissCause.LATE), "the service learned it: a LATE miss");
      assertEquals(1, metrics.snapshot().outputs().get("plc").delivered());
    }
  }
}
