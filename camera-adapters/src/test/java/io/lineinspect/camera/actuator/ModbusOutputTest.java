package io.lineinspect.camera.actuator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.health.HealthMonitor;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.health.StageHealth;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Modbus output against a real, independent Modbus TCP server (pymodbus) on loopback: pulses
 * measured where the PLC sees them.
 */
class ModbusOutputTest {
  /** Parts per second per camera: 50 ms between parts on one coil. */
  static final double FPS = 20;

  /**
   * A pulse belongs to the part whose due time is within this (half the gap between parts on one
   * coil): a pulse any later would push the next part.
   */
  static final long MATCH_WINDOW_US = 25_000;

  /** Stated tolerance: a pulse starts at most this after its part's due time ... */
  static final long LATE_TOLERANCE_US = 10_000;

  /** ... for at least this share of the pulses on a noisy shared 2-core machine. */
  static final double ON_TIME_SHARE = 0.95;

  /** And the median pulse within this. */
  static final long MEDIAN_TOLERANCE_US = 5_000;

  /** No pulse may start earlier than this before its part's due time (clock mapping only). */
  static final long EARLY_TOLERANCE_US = 1_000;

  static final double TRAVEL_MS = 60;
  static final int PULSE_MS = 10;
  static final int REGISTERS = 20;

  /** One part fed to the scheduler. */
  record Part(String camera, long sequence, boolean fail, long dueEpochUs) {}

  /**
   * For each FAIL part of {@code camera}, the start of the nearest pulse relative to the part's due
   * time, in µs (parts without any pulse within the match window are left out).
   */
  private static List<Long> lateness(List<Part> parts, List<Long> edges, String camera) {
    List<Long> out = new ArrayList<>();
    for (Part p : parts) {
      if (!p.camera().equals(camera) || !p.fail()) {
        continue;
      }
      Long best = null;
      for (Long e : edges) {
        long d = e - p.dueEpochUs();
        if (Math.abs(d) <= MATCH_WINDOW_US && (best == null || Math.abs(d) < Math.abs(best))) {
          best = d;
        }
      }
      if (best != null) {
        out.add(best);
      }
    }
    Collections.sort(out);
    return out;
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p)));
  }

  /** Pulses of a camera's coil that started within the stated tolerance of their part. */
  private static long onTime(List<Long> lateness) {
    return lateness.stream()
        .filter(d -> d >= -EARLY_TOLERANCE_US && d <= LATE_TOLERANCE_US)
        .count();
  }

  private static long fails(List<Part> parts, String camera) {
    return parts.stream().filter(p -> p.fail() && p.camera().equals(camera)).count();
  }

  @BeforeAll
  static void pymodbus() {
    PyModbusServer.requireInstalled();
  }

  private static ModbusOutputConfig plc(int port, Integer registerAddress, Integer alarmCoil) {
    return new ModbusOutputConfig(
        "plc",
        "127.0.0.1",
        port,
        1,
        Map.of("cam-1", 0, "cam-2", 1),
        true,
        0,
        PULSE_MS,
        registerAddress,
        0L,
        alarmCoil,
        50,
        500,
        100,
        400,
        null,
        null,
        null,
        null);
  }

  private static RejectScheduler scheduler(ActuatorOutput output, ActuatorMetrics metrics) {
    return new RejectScheduler(
        new RejectTimingConfig(TRAVEL_MS, 0.0, "capture", 2.0, 20.0, null, null, 1024),
        List.of(output),
        metrics,
        NanoClock.SYSTEM,
        RejectScheduler::systemEpochMicros);
  }

  /**
   * Feeds parts of two cameras, {@code fps} each, for {@code seconds}, a third of them FAIL;
   * returns them. Each verdict is handed over at receipt, captured 5 ms earlier.
   */
  private static List<Part> feed(RejectScheduler s, double fps, double seconds, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    TestVerdict v = new TestVerdict();
    List<Part> parts = new ArrayList<>();
    long period = (long) (1e9 / fps);
    long start = System.nanoTime();
    int n = (int) (fps * seconds);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 2; c++) {
        long due = start + i * period + c * period / 2;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        String camera = "cam-" + (c + 1);
        boolean fail = random.nextInt(3) == 0;
        long captureUs = RejectScheduler.systemEpochMicros() - 5_000;
        s.onVerdict(
            v.part(
                camera, i + 1, fail ? Verdict.FAIL : Verdict.PASS, captureUs, System.nanoTime()));
        parts.add(new Part(camera, i + 1, fail, captureUs + (long) (TRAVEL_MS * 1000)));
      }
    }
    return parts;
  }

  private static void await(BooleanSupplier done, long ms) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!done.getAsBoolean() && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
  }

  @Test
  void everyFailPartGetsExactlyOnePulseOnTimeAndEveryVerdictItsRegisters() throws Exception {
    int port = PyModbusServer.freePort();
    try (PyModbusServer server = new PyModbusServer(port, 64, 0).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plc(port, REGISTERS, null));
      List<Part> parts;
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        assertTrue(output.connected(), "connected to pymodbus");
        parts = feed(s, FPS, 3, 42);
        long fails = parts.stream().filter(Part::fail).count();
        await(() -> metrics.snapshot().outputs().get("plc").delivered() >= fails, 3_000);
        Thread.sleep(PULSE_MS + 100L);
      }
      long fails = parts.stream().filter(Part::fail).count();
      long late = metrics.missed(MissCause.LATE);
      List<Long> lateness = new ArrayList<>(lateness(parts, server.risingEdges(0), "cam-1"));
      lateness.addAll(lateness(parts, server.risingEdges(1), "cam-2"));
      Collections.sort(lateness);
      System.out.printf(
          "modbus pulses: %d FAIL parts of %d, %d late (never fired), pulse start after due"
              + " (server clock): p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d of %d within -1..+10"
              + " ms%n",
          fails,
          parts.size(),
          late,
          percentile(lateness, 0.5) / 1e3,
          percentile(lateness, 0.99) / 1e3,
          lateness.get(lateness.size() - 1) / 1e3,
          onTime(lateness),
          lateness.size());
      // Exactly one pulse per FAIL part and none for a PASS part: per coil, the pulses are the
      // FAIL parts, less those this shared machine stalled past the gate (counted LATE, never
      // fired). No other miss on a healthy PLC.
      assertEquals(0, metrics.missed() - late, "misses other than LATE: " + metrics.snapshot());
      // LATE is the shared box holding the scheduler past a part's due time (CI: 5 of 49 once);
      // a stall is a functional failure, a few late wake-ups on a noisy box are not.
      assertTrue(late <= fails / 5, "at most 20 % late even on a loaded machine: " + late);
      assertEquals(
          fails - late, server.risingEdges(0).size() + server.risingEdges(1).size(), "pulses");
      assertTrue(
          server.risingEdges(0).size() <= fails(parts, "cam-1")
              && server.risingEdges(1).size() <= fails(parts, "cam-2"),
          "no coil pulses more often than its camera has FAIL parts");
      assertEquals(fails - late, metrics.snapshot().outputs().get("plc").delivered());
      // On time: pulses start at the part's due time, never early.
      assertEquals(fails - late, lateness.size(), "every pulse near its part's due time");
      assertTrue(percentile(lateness, 0.5) <= MEDIAN_TOLERANCE_US, "median " + lateness);
      assertTrue(
          onTime(lateness) >= ON_TIME_SHARE * lateness.size(), "within -1..+10 ms: " + lateness);

      // Shutdown leaves no reject coil on.
      for (int coil : new int[] {0, 1}) {
        List<PyModbusServer.Write> coilWrites =
            server.writes().stream()
                .filter(w -> w.kind().equals("COIL") && w.address() == coil)
                .toList();
        assertTrue(!coilWrites.get(coilWrites.size() - 1).on(), "coil " + coil + " OFF at the end");
      }

      // Registers: one block per verdict, in order, with sequence and verdict.
      Map<String, List<String>> blocks = new HashMap<>();
      for (PyModbusServer.Write w : server.writes()) {
        if (w.kind().equals("REG")) {
          String camera = w.address() == REGISTERS ? "cam-1" : "cam-2";
          assertTrue(
              w.address() == REGISTERS || w.address() == REGISTERS + 16, "block address " + w);
          String[] r = w.values().split(",");
          assertEquals(16, r.length);
          long seq = 0;
          for (int i = 1; i <= 4; i++) {
            seq = (seq << 16) | Long.parseLong(r[i]);
          }
          blocks.computeIfAbsent(camera, k -> new ArrayList<>()).add(r[0] + ":" + seq + ":" + r[5]);
        }
      }
      for (String camera : List.of("cam-1", "cam-2")) {
        List<String> expected = new ArrayList<>();
        int counter = 0;
        for (Part p : parts) {
          if (p.camera().equals(camera)) {
            expected.add(++counter + ":" + p.sequence() + ":" + (p.fail() ? 1 : 0));
          }
        }
        assertEquals(expected, blocks.get(camera), "register blocks of " + camera);
      }
    }
  }

  static final int ORDERS = 200;

  private static ModbusOutputConfig plcTimed(int port) {
    return new ModbusOutputConfig(
        "plc",
        "127.0.0.1",
        port,
        1,
        Map.of("cam-1", 0, "cam-2", 1),
        null,
        0,
        PULSE_MS,
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

  /** Order sequence, due time, frame sequence, result of an ORDER record. */
  private static long[] order(PyModbusServer.Write w) {
    String[] f = w.values().split(",");
    return new long[] {
      Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])
    };
  }

  @Test
  void plcTimedEveryFailIsHandedOverAtItsVerdictWithItsDueTimeAndSequenceAndAcknowledged()
      throws Exception {
    int port = PyModbusServer.freePort();
    try (PyModbusServer server =
        new PyModbusServer(port, 512, 0).acknowledgingOrders(ORDERS, 2).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(port));
      List<Part> parts;
      long fails;
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        assertTrue(output.connected(), "connected to pymodbus");
        Thread.sleep(100); // the acknowledgements are read once after the connect
        parts = feed(s, FPS, 3, 7);
        fails = parts.stream().filter(Part::fail).count();
        await(() -> metrics.snapshot().outputs().get("plc").delivered() >= fails, 3_000);
      }
      List<PyModbusServer.Write> orders =
          server.writes().stream().filter(w -> w.kind().equals("ORDER")).toList();
      List<Long> handoverUs = new ArrayList<>();
      for (String camera : List.of("cam-1", "cam-2")) {
        int area = ORDERS + (camera.equals("cam-1") ? 0 : ModbusOutputConfig.ORDER_AREA);
        List<Part> failParts =
            parts.stream().filter(p -> p.fail() && p.camera().equals(camera)).toList();
        List<PyModbusServer.Write> mine =
            orders.stream()
                .filter(
                    w -> w.address() >= area && w.address() < area + ModbusOutputConfig.ORDER_AREA)
                .toList();
        assertEquals(failParts.size(), mine.size(), "one order per FAIL part of " + camera);
        for (int i = 0; i < mine.size(); i++) {
          long[] o = order(mine.get(i));
          Part p = failParts.get(i);
          // Sequence 1, 2, 3, … in ring slot seq % 8, the sequence number in its last register.
          assertEquals(i + 1, o[0], "order sequence of " + camera + "#" + p.sequence());
          assertEquals(
              area + 16 + 16 * (o[0] % 8), mine.get(i).address(), "ring slot of order " + o[0]);
          assertEquals(p.sequence(), o[2], "frame sequence");
          assertEquals(p.dueEpochUs(), o[1], "due time = capture + travelMs, µs");
          assertEquals(1, o[3], "taken: due time still ahead");
          long verdictUs = p.dueEpochUs() - (long) (TRAVEL_MS * 1000) + 5_000;
          handoverUs.add(mine.get(i).epochUs() - verdictUs);
        }
      }
      Collections.sort(handoverUs);
      System.out.printf(
          "plc orders: %d FAIL parts, order at the PLC after its verdict p50 %.2f ms, p99 %.2f ms,"
              + " max %.2f ms%n",
          fails,
          percentile(handoverUs, 0.5) / 1e3,
          percentile(handoverUs, 0.99) / 1e3,
          handoverUs.get(handoverUs.size() - 1) / 1e3);
      assertTrue(percentile(handoverUs, 0.5) <= 3_000, "median hand-over " + handoverUs);
      // The shared box stalls a few hand-overs (CI: 2 of 40 just over 15 ms); the bound that
      // matters to the line is the one below, and the figures are printed above.
      assertTrue(
          percentile(handoverUs, 0.9) <= 15_000, "90 % handed over within 15 ms: " + handoverUs);
      assertTrue(
          handoverUs.get(handoverUs.size() - 1) <= 25_000,
          "every order long before its part reaches the gate: " + handoverUs);
      assertEquals(0, metrics.missed(), "no miss on a healthy PLC: " + metrics.snapshot());
      assertEquals(fails, metrics.snapshot().outputs().get("plc").delivered(), "acknowledged");
      assertTrue(
          server.writes().stream().noneMatch(w -> w.kind().equals("COIL")),
          "the service pulses no coil: the PLC fires");
    }
  }

  @Test
  void plcTimedAnOrderThatArrivesAfterItsDueTimeIsRefusedAndCountedLate() throws Exception {
    int port = PyModbusServer.freePort();
    try (PyModbusServer server =
        new PyModbusServer(port, 512, 0).acknowledgingOrders(ORDERS, 2).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(port));
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        Thread.sleep(100);
        TestVerdict v = new TestVerdict();
        // Captured and received 200 ms ago (its verdict reaches the actuators that late): due
        // 140 ms ago. The service hands it over anyway (the PLC's clock decides); the PLC
        // refuses it.
        long now = RejectScheduler.systemEpochMicros();
        s.onVerdict(
            v.part(
                "cam-2",
                77,
                Verdict.FAIL,
                now - 200_000,
                System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(200)));
        s.onVerdict(v.part("cam-2", 78, Verdict.FAIL, now, System.nanoTime()));
        await(() -> metrics.missed(MissCause.LATE) + metrics.verdicts() >= 3, 3_000);
        await(() -> metrics.snapshot().outputs().get("plc").delivered() >= 1, 3_000);
      }
      List<long[]> orders =
          server.writes().stream()
              .filter(w -> w.kind().equals("ORDER"))
              .map(w -> order(w))
              .toList();
      assertEquals(2, orders.size());
      assertEquals(77, orders.get(0)[2]);
      assertEquals(2, orders.get(0)[3], "refused: LATE");
      assertEquals(1, orders.get(1)[3], "the next one is taken");
      assertEquals(1, metrics.missed(MissCause.LATE), metrics.snapshot().toString());
      assertEquals(1, metrics.snapshot().outputs().get("plc").delivered());
    }
  }

  @Test
  void plcTimedAnOrderThePlcNeverAcknowledgesIsATimeoutMiss() throws Exception {
    int port = PyModbusServer.freePort();
    // A server that stores the orders but runs no PLC program: nothing acknowledges them.
    try (PyModbusServer server = new PyModbusServer(port, 512, 0).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plcTimed(port));
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        Thread.sleep(100);
        List<Part> parts = feed(s, FPS, 0.5, 9);
        long fails = parts.stream().filter(Part::fail).count();
        await(() -> metrics.missed(MissCause.TIMEOUT) >= fails, 3_000);
        assertEquals(fails, metrics.missed(MissCause.TIMEOUT), metrics.snapshot().toString());
        assertEquals(0, metrics.snapshot().outputs().get("plc").delivered());
      }
    }
  }

  @Test
  void aStageThreadThatDiesMakesTheServiceUnhealthyAndSetsTheAlarmCoilWithinASecond()
      throws Exception {
    int port = PyModbusServer.freePort();
    try (PyModbusServer server = new PyModbusServer(port, 64, 0).start()) {
      ModbusOutput output = new ModbusOutput(plc(port, null, 7));
      StageHealth health = new StageHealth();
      Stage stage = health.add(new Stage("audit-writer", 2_000));
      try (RejectScheduler s = scheduler(output, new ActuatorMetrics());
          HealthMonitor monitor = new HealthMonitor(health, s)) {
        monitor.start();
        await(output::connected, 5_000);
        assertTrue(output.connected(), "connected to pymodbus");
        Thread.sleep(300);
        assertTrue(health.problems().isEmpty(), health.problems().toString());
        assertTrue(server.writes().stream().noneMatch(w -> w.address() == 7), "no alarm yet");
        Thread dying =
            new Thread(
                () -> {
                  stage.started();
                  throw new IllegalStateException("a bug the loop did not catch");
                },
                "audit-writer");
        long killedNs = System.nanoTime();
        dying.start();
        dying.join(1_000);
        await(() -> !health.problems().isEmpty(), 1_000);
        assertTrue(
            health.problems().toString().contains("audit-writer"), health.problems().toString());
        await(
            () ->
                server.writes().stream()
                    .anyMatch(w -> w.kind().equals("COIL") && w.address() == 7 && w.on()),
            1_500);
        long ms = (System.nanoTime() - killedNs) / 1_000_000;
        assertTrue(
            server.writes().stream()
                .anyMatch(w -> w.kind().equals("COIL") && w.address() == 7 && w.on()),
            "alarm coil 7 set");
        assertTrue(ms <= 1_500, "alarm coil set " + ms + " ms after the stage died");
        System.out.println("stage death -> alarm coil set on the PLC after " + ms + " ms");
      }
    }
  }

  @Test
  void plcDownAtStartAndKilledMidRunMissesAreCountedAndPulsesResume() throws Exception {
    int port = PyModbusServer.freePort();
    ActuatorMetrics metrics = new ActuatorMetrics();
    ModbusOutput output = new ModbusOutput(plc(port, null, 7));
    List<Part> all = new ArrayList<>();
    PyModbusServer second;
    List<Part> after;
    try (RejectScheduler s = scheduler(output, metrics)) {
      // 1. PLC unreachable at start-up: verdicts flow, every reject is a counted miss.
      all.addAll(feed(s, FPS, 0.5, 1));
      assertTrue(metrics.missed(MissCause.NOT_CONNECTED) > 0);
      // 2. PLC comes up: pulses start after the reconnect (backoff ≤ 400 ms).
      try (PyModbusServer first = new PyModbusServer(port, 64, 0).start()) {
        await(output::connected, 3_000);
        assertTrue(output.connected(), "reconnected after the PLC came up");
        List<Part> healthy = feed(s, FPS, 1, 2);
        all.addAll(healthy);
        Thread.sleep((long) TRAVEL_MS + 50);
        assertTrue(first.risingEdges(0).size() + first.risingEdges(1).size() > 0, "pulses");
        assertTrue(
            first.risingEdges(0).size() <= fails(healthy, "cam-1")
                && first.risingEdges(1).size() <= fails(healthy, "cam-2"),
            "no more pulses than FAIL parts while the PLC was healthy");
        // The alarm coil was set when the PLC came back (rejects had been missed).
        assertTrue(
            first.writes().stream()
                .anyMatch(w -> w.kind().equals("COIL") && w.address() == 7 && w.on()),
            "alarm coil 7 set");
        // 3. PLC killed mid-run (SIGKILL).
        first.kill();
      }
      all.addAll(feed(s, FPS, 0.5, 3));
      // 4. PLC restarted on the same port: pulses resume.
      second = new PyModbusServer(port, 64, 0).start();
      await(output::connected, 3_000);
      assertTrue(output.connected(), "reconnected after the PLC restarted");
      after = feed(s, FPS, 1, 4);
      all.addAll(after);
      Thread.sleep((long) TRAVEL_MS + PULSE_MS + 100);
    }
    try (second) {
      long fails = all.stream().filter(Part::fail).count();
      ActuatorMetrics.Snapshot snap = metrics.snapshot();
      assertEquals(all.size(), snap.verdicts(), "every verdict reached the scheduler");
      long delivered = snap.outputs().get("plc").delivered();
      long missed = snap.missedTotal();
      System.out.printf(
          "modbus faults: %d FAIL parts: %d delivered, %d missed %s%n",
          fails, delivered, missed, snap.missed());
      assertEquals(fails, delivered + missed, "every reject either delivered or counted missed");
      assertTrue(missed > 0);
      long pulsesAfter = second.risingEdges(0).size() + second.risingEdges(1).size();
      assertTrue(pulsesAfter > 0, "pulses resumed after the restart");
      assertTrue(
          pulsesAfter <= fails(after, "cam-1") + fails(after, "cam-2"),
          "no more pulses than FAIL parts after the restart");
      List<Long> afterLateness = new ArrayList<>(lateness(after, second.risingEdges(0), "cam-1"));
      afterLateness.addAll(lateness(after, second.risingEdges(1), "cam-2"));
      assertTrue(
          onTime(afterLateness) >= ON_TIME_SHARE * pulsesAfter,
          "pulses after the restart on time: " + afterLateness);
    }
  }

  @Test
  void exceptionResponsesAndSlowPlcAreMissesNotStalls() throws Exception {
    int port = PyModbusServer.freePort();
    // Coils 0..7 exist: slot 1's coil (100 + 1) does not -> ILLEGAL DATA ADDRESS.
    ModbusOutputConfig badCoil =
        new ModbusOutputConfig(
            "plc",
            "127.0.0.1",
            port,
            1,
            Map.of("cam-1", 0, "cam-2", 1),
            true,
            100,
            PULSE_MS,
            null,
            0L,
            null,
            50,
            500,
            100,
            400,
            null,
            null,
            null,
            null);
    try (PyModbusServer server = new PyModbusServer(port, 8, 0).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(badCoil);
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        List<Part> parts = feed(s, FPS, 0.5, 5);
        long fails = parts.stream().filter(Part::fail).count();
        // Each FAIL part is a miss, never a stall: WRITE_FAILED (the PLC's exception response),
        // or LATE when the shared box held the scheduler past a part's due time (seen in CI: 7
        // WRITE_FAILED + 1 LATE of 8).
        await(
            () -> metrics.missed(MissCause.WRITE_FAILED) + metrics.missed(MissCause.LATE) >= fails,
            3_000);
        assertEquals(
            fails, metrics.missed(MissCause.WRITE_FAILED) + metrics.missed(MissCause.LATE));
        assertTrue(
            metrics.missed(MissCause.WRITE_FAILED) >= fails / 2,
            "exception responses counted as WRITE_FAILED: "
                + metrics.missed(MissCause.WRITE_FAILED));
        assertTrue(metrics.lastAlarm().contains("missed reject"), metrics.lastAlarm());
      }
    }
    // A PLC that answers after 80 ms with a 50 ms request timeout.
    port = PyModbusServer.freePort();
    try (PyModbusServer slow = new PyModbusServer(port, 64, 80).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(plc(port, null, null));
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        List<Part> parts = feed(s, FPS, 0.5, 6);
        long fails = parts.stream().filter(Part::fail).count();
        await(
            () -> metrics.verdicts() == parts.size() && metrics.missed(MissCause.TIMEOUT) > 0,
            3_000);
        assertEquals(parts.size(), metrics.verdicts(), "verdicts keep flowing");
        assertTrue(metrics.missed(MissCause.TIMEOUT) > 0, "unanswered writes counted");
        System.out.printf(
            "slow PLC: %d FAIL parts, %d timed out %s%n",
            fails, metrics.missed(), metrics.snapshot().missed());
      }
    }
  }

  @Test
  void shutdownDuringAPulseSwitchesTheCoilOff() throws Exception {
    int port = PyModbusServer.freePort();
    ModbusOutputConfig longPulse =
        new ModbusOutputConfig(
            "plc",
            "127.0.0.1",
            port,
            1,
            Map.of("cam-1", 0),
            true,
            3,
            5_000,
            null,
            0L,
            null,
            200,
            500,
            100,
            400,
            null,
            null,
            null,
            null);
    try (PyModbusServer server = new PyModbusServer(port, 64, 0).start()) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      ModbusOutput output = new ModbusOutput(longPulse);
      try (RejectScheduler s = scheduler(output, metrics)) {
        await(output::connected, 5_000);
        s.onVerdict(
            new TestVerdict()
                .part(
                    "cam-1",
                    1,
                    Verdict.FAIL,
                    RejectScheduler.systemEpochMicros(),
                    System.nanoTime()));
        await(() -> server.risingEdges(3).size() == 1, 3_000);
        assertEquals(1, server.risingEdges(3).size(), "the pulse started");
      } // closed 5 s before the pulse would end
      Thread.sleep(200);
      List<PyModbusServer.Write> coil3 =
          server.writes().stream()
              .filter(w -> w.kind().equals("COIL") && w.address() == 3)
              .toList();
      assertTrue(!coil3.get(coil3.size() - 1).on(), "coil left ON after shutdown: " + coil3);
    }
  }
}
