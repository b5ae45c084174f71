package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.actuator.ModbusOutput;
import io.lineinspect.camera.actuator.ModbusOutputConfig;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulated PLC of {@code firing: plc}: the real Modbus output hands it orders over loopback,
 * and it fires each stroke itself at the order's due time — in this JVM and in a process of its own
 * ({@link RejectGateProcess}, the demo's default).
 */
class SimulatedRejectGateTest {
  static final double TRAVEL_MS = 60;
  static final int ORDERS = 200;
  static final int REALTIME_PRIORITY = 60;

  private static ModbusOutputConfig plcTimed(int port) {
    return plcTimed(port, 0L);
  }

  private static ModbusOutputConfig plcTimed(int port, long encoderOffset) {
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
        encoderOffset,
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

  private static RejectGate gate(boolean ownProcess) throws java.io.IOException {
    return ownProcess ? RejectGateProcess.start() : SimulatedRejectGate.start();
  }

  @ParameterizedTest(name = "own process: {0}")
  @ValueSource(booleans = {false, true})
  void plcTimedStrokesHappenWithinOneMillisecondOfTheirDueTime(boolean ownProcess)
      throws Exception {
    // Like the demo: the stroke thread asks for SCHED_FIFO (a real PLC's cycle has its own CPU;
    // this one shares two cores with the build and whatever else runs).
    try (RejectGate gate = gate(ownProcess).acceptOrders(ORDERS, 2, 4, REALTIME_PRIORITY)) {
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
      GateRecord rec = gate.awaitStrokes(2_000);
      long fails = parts.stream().filter(SimStats.Part::defective).count();
      List<Long> errors = rec.sortedStrokeErrorsUs();
      System.out.printf(
          "simulated PLC strokes: %d FAIL parts, %d strokes, stroke - due p50 %d us, min %d us,"
              + " max %d us%n",
          fails,
          errors.size(),
          errors.isEmpty() ? 0 : errors.get(errors.size() / 2),
          errors.isEmpty() ? 0 : errors.get(0),
          errors.isEmpty() ? 0 : errors.get(errors.size() - 1));
      assertEquals(0, metrics.missed(), metrics.snapshot().toString());
      assertEquals(fails, rec.ordersTaken(), "every order taken");
      assertEquals(fails, errors.size(), "one stroke per FAIL part");
      long within = errors.stream().filter(e -> e >= -1_000 && e <= 1_000).count();
      // The simulated PLC shares this JVM (and its GC pauses) and the test's two shared cores: a
      // real PLC has neither. So: never early, nearly all within ±1 ms; timing figures belong to
      // the demo and its printed stroke error, not to a timed assertion here.
      System.out.println("stroke thread: " + rec.strokeThreadRealtime() + ", " + gate.where());
      assertTrue(errors.get(0) >= -1_000, "no stroke early: " + errors);
      assertTrue(within >= 0.9 * errors.size(), "90 % within ±1 ms: " + errors);
      // And physically: every defective part (and no good one) pushed off, from coils 4 and 5.
      GateRecord.Outcome g =
          rec.judge(parts, Map.of("cam-1", 4, "cam-2", 5), (long) (TRAVEL_MS * 1000), 5_000);
      // Every defect got its stroke (above); on this shared box a stroke may still land outside
      // the pusher's ±5 ms (CI: one 8 ms late, in the own-process case), so at most one defect in
      // twenty (at least one) may escape, each such escape a stray stroke, and no good part is hit.
      assertTrue(g.defectsEscaped() <= Math.max(1, fails / 20), g.toString());
      assertEquals(fails, g.defectsRejected() + g.defectsEscaped(), g.toString());
      assertTrue(g.strayPulses() <= g.defectsEscaped(), g.toString());
      assertEquals(0, g.goodRejected(), g.toString());
      assertTrue(g.strokeErrorP50Us() <= 1_000, g.toString());
    }
  }

  @ParameterizedTest(name = "own process: {0}")
  @ValueSource(booleans = {false, true})
  void plcTimedAnOrderThatArrivesAfterItsDueTimeIsNotFiredAndIsCounted(boolean ownProcess)
      throws Exception {
    try (RejectGate gate = gate(ownProcess).acceptOrders(ORDERS, 2, 4, 0)) {
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
      GateRecord rec = gate.awaitStrokes(2_000);
      assertEquals(1, rec.ordersLate(), "the late order counted by the PLC");
      assertEquals(List.of("0:5"), rec.lateOrders());
      assertEquals(1, rec.ordersTaken());
      assertEquals(1, rec.strokeErrorsUs().size(), "only the order in time fired");
      assertEquals(1, metrics.missed(MissCause.LATE), "the service learned it: a LATE miss");
      assertEquals(1, metrics.snapshot().outputs().get("plc").delivered());
    }
  }

  @org.junit.jupiter.api.Test
  void plcTimedAnOrderCarriesTheEncoderGatePositionWhenTheFrameHasOne() throws Exception {
    try (SimulatedRejectGate gate = SimulatedRejectGate.start().acceptOrders(ORDERS, 2, 4)) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(gate.port(), 5_000L));
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        Thread.sleep(100);
        TestVerdict v = new TestVerdict();
        v.hasEncoderCount = true;
        v.encoderCount = 123_456;
        long now = RejectScheduler.systemEpochMicros();
        s.onVerdict(v.part("cam-1", 7, Verdict.FAIL, now, System.nanoTime()));
        TestVerdict w = new TestVerdict(); // no encoder count
        s.onVerdict(w.part("cam-1", 8, Verdict.FAIL, now + 1_000, System.nanoTime()));
        await(() -> metrics.snapshot().outputs().get("plc").delivered() == 2, 3_000);
      }
      assertEquals(2, metrics.snapshot().outputs().get("plc").delivered(), "both acknowledged");
      // Orders 1 and 2 of camera slot 0 lie in ring slots 1 and 2 (docs/actuators.md).
      int[] first = gate.registers(ORDERS + 16 + 16, 16);
      int[] second = gate.registers(ORDERS + 16 + 32, 16);
      assertEquals(123_456 + 5_000, u64(first, 4), "gate position = encoder count + offset");
      assertEquals(7, u64(first, 8), "frame sequence");
      assertEquals(1, first[14] & 1, "flags bit 0: gate position valid");
      assertEquals(1, first[15], "order sequence");
      assertEquals(0, u64(second, 4), "no encoder count: gate position 0");
      assertEquals(0, second[14] & 1, "flags bit 0 clear without an encoder count");
      assertEquals(2, second[15], "order sequence");
    }
  }

  private static long u64(int[] r, int at) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v = v << 16 | r[at + i];
    }
    return v;
  }
}
