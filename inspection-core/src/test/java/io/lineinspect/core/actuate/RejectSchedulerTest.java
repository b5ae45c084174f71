package io.lineinspect.core.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RejectSchedulerTest {
  /** Records what the scheduler hands over, with the time of the call. */
  static class RecordingOutput implements ActuatorOutput {
    record Fired(String part, long atNs, long dueNs, long fireAtEpochUs) {}

    final List<String> verdicts = new CopyOnWriteArrayList<>();
    final List<Fired> fired = new CopyOnWriteArrayList<>();
    final List<String> alarms = new CopyOnWriteArrayList<>();
    final List<String> dryRuns = new CopyOnWriteArrayList<>();
    volatile boolean connected = true;
    ActuatorEvents events;

    @Override
    public String name() {
      return "rec";
    }

    @Override
    public void start(ActuatorEvents events) {
      this.events = events;
    }

    @Override
    public void onVerdict(RejectOrder order) {
      verdicts.add(order.partId() + " " + order.verdict());
    }

    @Override
    public void fire(RejectOrder order) {
      if (!connected) {
        events.missed(name(), MissCause.NOT_CONNECTED, order.cameraId(), order.sequence(), null);
        return;
      }
      fired.add(
          new Fired(order.partId(), System.nanoTime(), order.fireAtNs(), order.fireAtEpochUs()));
    }

    @Override
    public void alarm(MissCause cause, String partId) {
      alarms.add(cause + " " + partId);
    }

    @Override
    public void dryRun(RejectOrder order) {
      dryRuns.add(order.partId() + " " + order.verdict());
    }

    @Override
    public boolean connected() {
      return connected;
    }

    @Override
    public void close() {}
  }

  /**
   * Late tolerance 10 ms: a reject due while the test JVM's scheduler thread is still cold (its
   * first wake-up, class loading, a first log line) must not be counted LATE on a shared 2-core
   * box; the late parts these tests send are 30 ms or more past their due time.
   */
  private static RejectTimingConfig timing(double travelMs, String clock) {
    return new RejectTimingConfig(travelMs, 0.0, clock, 10.0, 20.0, null, null, 64);
  }

  /**
   * Receipt timing with a late tolerance of 50 ms, for tests about isolation rather than
   * punctuality: the first exception a test provokes is logged with its stack trace on a cold JVM,
   * which can hold the scheduler for more than the 2 ms of {@link #timing}.
   */
  private static RejectTimingConfig lenientTiming() {
    return new RejectTimingConfig(100.0, 0.0, "receipt", 50.0, 20.0, null, null, 64);
  }

  /** Capture timing with {@code maxClockSkewMs} 20 and the given {@code maxTransitMs}. */
  private static RejectTimingConfig captureTiming(double travelMs, double maxTransitMs) {
    return new RejectTimingConfig(travelMs, 0.0, "capture", 10.0, 20.0, maxTransitMs, 10_000, 64);
  }

  /** Heartbeats from a camera whose clock is {@code behindUs} behind the service's. */
  private static void heartbeats(CameraClocks clocks, String cameraId, long behindUs) {
    long now = RejectScheduler.systemEpochMicros();
    // Transit 0.3 to 5 ms: the minimum over the window is the offset plus 0.3 ms.
    long[] transitUs = {5_000, 300, 2_000, 1_200};
    for (int i = 0; i < transitUs.length; i++) {
      long receivedUs = now - (transitUs.length - i) * 100_000L;
      clocks.onHeartbeat(cameraId, receivedUs - transitUs[i] - behindUs, receivedUs);
    }
  }

  private static RecordingOutput.Fired fired(RecordingOutput out, String part) {
    return out.fired.stream().filter(f -> f.part().equals(part)).findFirst().orElseThrow();
  }

  private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!done.getAsBoolean() && System.nanoTime() - until < 0) {
      Thread.sleep(2);
    }
  }

  @Test
  void failPartsFireAtCapturePlusTravelAndPassPartsNever() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            timing(40, "capture"),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      long captureUs = RejectScheduler.systemEpochMicros();
      long receivedNs = System.nanoTime();
      // Captured 10 ms before receipt (transit): the reject is due 40 ms after the capture.
      s.onVerdict(v.part("cam-1", 1, Verdict.FAIL, captureUs - 10_000, receivedNs));
      s.onVerdict(v.part("cam-1", 2, Verdict.PASS, captureUs - 10_000, receivedNs));
      await(() -> out.fired.size() == 1 && out.verdicts.size() == 2);
      Thread.sleep(60);
      assertEquals(List.of("cam-1#1 FAIL", "cam-1#2 PASS"), out.verdicts);
      assertEquals(1, out.fired.size(), "only the FAIL part fires");
      RecordingOutput.Fired f = out.fired.get(0);
      assertEquals(receivedNs + TimeUnit.MILLISECONDS.toNanos(30), f.dueNs(), 2e6);
      assertTrue(f.atNs() - f.dueNs() >= 0, "never fires early");
      assertTrue(f.atNs() - f.dueNs() < TimeUnit.MILLISECONDS.toNanos(20), "fires on time");
      assertEquals(captureUs - 10_000 + 40_000, f.fireAtEpochUs(), 1_000);
      assertEquals(2, metrics.verdicts());
      assertEquals(1, metrics.rejectsScheduled());
      assertEquals(0, metrics.missed());
    }
  }

  @Test
  void verdictAfterTheGateIsMissedNeverFired() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            timing(20, "receipt"),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      // Received 50 ms ago: its part passed the gate 30 ms ago.
      s.onVerdict(v.part("cam-1", 7, Verdict.FAIL, 0, System.nanoTime() - 50_000_000L));
      await(() -> metrics.missed(MissCause.LATE) == 1);
      Thread.sleep(30);
      assertEquals(1, metrics.missed(MissCause.LATE));
      assertTrue(out.fired.isEmpty(), "a late reject must not fire on the next part");
      assertEquals(List.of("LATE cam-1#7"), out.alarms);
      assertTrue(metrics.lastAlarm().contains("cam-1#7"), metrics.lastAlarm());
    }
  }

  @Test
  void captureTimeFromTheFutureIsNotTrusted() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            timing(30, "capture"),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      long receivedNs = System.nanoTime();
      long oneSecondAheadUs = RejectScheduler.systemEpochMicros() + 1_000_000;
      s.onVerdict(v.part("cam-1", 1, Verdict.FAIL, oneSecondAheadUs, receivedNs));
      await(() -> out.fired.size() == 1);
      assertEquals(1, metrics.clockSkew());
      assertEquals(1, metrics.clockSkew("cam-1", ClockSkew.FUTURE), "counted for that camera");
      assertEquals(receivedNs + 30_000_000L, out.fired.get(0).dueNs(), 1e6, "timed from receipt");
    }
  }

  @Test
  void cameraClockEightyMsBehindIsTimedFromReceiptAndCountedForThatCamera() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            captureTiming(100, 30),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      // The epoch reading lies between the two monotonic ones: the real capture (2 ms before it)
      // is no earlier than 2 ms before the first.
      long earliestNs = System.nanoTime();
      long nowUs = RejectScheduler.systemEpochMicros();
      long receivedNs = System.nanoTime();
      // Both parts were really captured 2 ms before receipt; cam-b's clock is 80 ms behind, so it
      // stamps its part 82 ms before receipt: more than maxTransitMs + maxClockSkewMs (50 ms).
      long realCaptureNs = earliestNs - 2_000_000L;
      s.onVerdict(v.part("cam-a", 1, Verdict.FAIL, nowUs - 2_000, receivedNs));
      s.onVerdict(v.part("cam-b", 1, Verdict.FAIL, nowUs - 82_000, receivedNs));
      await(() -> out.fired.size() == 2);
      Thread.sleep(20);
      assertEquals(2, out.fired.size());
      for (RecordingOutput.Fired f : out.fired) {
        assertTrue(
            f.atNs() - (realCaptureNs + 100_000_000L) >= 0,
            f.part() + " fired " + (realCaptureNs + 100_000_000L - f.atNs()) / 1e6 + " ms early");
      }
      RecordingOutput.Fired b = fired(out, "cam-b#1");
      assertEquals(receivedNs + 100_000_000L, b.dueNs(), 1e6, "timed from receipt");
      assertEquals(
          realCaptureNs + 100_000_000L, fired(out, "cam-a#1").dueNs(), 1e6, "cam-a: capture");
      assertEquals(1, metrics.clockSkew("cam-b", ClockSkew.PAST));
      assertEquals(0, metrics.clockSkew("cam-a"), "a camera with a good clock is not counted");
    }
  }

  @Test
  void cameraClockThirtyMsBehindIsFoundByItsHeartbeatsAndTimedFromReceipt() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    CameraClocks clocks = new CameraClocks(10_000, RejectScheduler::systemEpochMicros);
    // 30 ms behind: a capture time 32 ms before receipt is within maxTransitMs + maxClockSkewMs,
    // so only the heartbeat estimate can tell that the clock, not the network, is late.
    heartbeats(clocks, "cam-b", 30_000);
    heartbeats(clocks, "cam-a", 0);
    assertEquals(30_300, clocks.offsetUs("cam-b"), 1, "min over the window: offset + 0.3 ms");
    try (RejectScheduler s =
        new RejectScheduler(
            captureTiming(60, 30),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros,
            clocks)) {
      TestVerdict v = new TestVerdict();
      long receivedNs = System.nanoTime();
      long nowUs = RejectScheduler.systemEpochMicros();
      long realCaptureNs = receivedNs - 2_000_000L;
      s.onVerdict(v.part("cam-b", 1, Verdict.FAIL, nowUs - 32_000, receivedNs));
      s.onVerdict(v.part("cam-a", 1, Verdict.FAIL, nowUs - 2_000, receivedNs));
      await(() -> out.fired.size() == 2);
      RecordingOutput.Fired b = fired(out, "cam-b#1");
      assertTrue(b.atNs() - (realCaptureNs + 60_000_000L) >= 0, "never before the real gate time");
      assertEquals(receivedNs + 60_000_000L, b.dueNs(), 1e6, "timed from receipt");
      assertEquals(1, metrics.clockSkew("cam-b", ClockSkew.OFFSET));
      assertEquals(
          realCaptureNs + 60_000_000L, fired(out, "cam-a#1").dueNs(), 1e6, "cam-a: capture");
      assertEquals(0, metrics.clockSkew("cam-a"));
    }
  }

  @Test
  void delayedFrameOfACameraWithAGoodClockKeepsCaptureTimingOrIsLateNeverFiredLate()
      throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    CameraClocks clocks = new CameraClocks(10_000, RejectScheduler::systemEpochMicros);
    heartbeats(clocks, "cam-a", 0);
    // maxTransitMs 10: a naive bound (60 > 10 + 20) would time these from receipt, 60 ms late.
    try (RejectScheduler s =
        new RejectScheduler(
            captureTiming(100, 10),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros,
            clocks)) {
      TestVerdict v = new TestVerdict();
      long receivedNs = System.nanoTime();
      long nowUs = RejectScheduler.systemEpochMicros();
      // Captured 60 ms before receipt (a congested network): due 40 ms after receipt.
      s.onVerdict(v.part("cam-a", 1, Verdict.FAIL, nowUs - 60_000, receivedNs));
      // Captured 110 ms before receipt: its part passed the gate 10 ms ago.
      s.onVerdict(v.part("cam-a", 2, Verdict.FAIL, nowUs - 110_000, receivedNs));
      await(() -> out.fired.size() == 1 && metrics.missed(MissCause.LATE) == 1);
      Thread.sleep(120);
      assertEquals(1, out.fired.size(), "the late part is not fired onto the next one");
      RecordingOutput.Fired f = out.fired.get(0);
      assertEquals("cam-a#1", f.part());
      assertEquals(receivedNs + 40_000_000L, f.dueNs(), 1e6, "timed from capture");
      assertEquals(1, metrics.missed(MissCause.LATE));
      assertEquals(List.of("LATE cam-a#2"), out.alarms);
      assertEquals(0, metrics.clockSkew("cam-a"), "a delayed frame is not a clock skew");
    }
  }

  @Test
  void cameraClocksEstimateIsTheMinimumOfTheRecentHeartbeats() {
    long[] now = {1_000_000_000L};
    CameraClocks clocks = new CameraClocks(1_000, () -> now[0]);
    assertEquals(CameraClocks.UNKNOWN, clocks.offsetUs("cam"));
    clocks.onHeartbeat("cam", now[0] - 80_000 - 4_000); // 80 ms behind, 4 ms transit
    now[0] += 500_000;
    clocks.onHeartbeat("cam", now[0] - 80_000 - 700);
    now[0] += 400_000;
    clocks.onHeartbeat("cam", now[0] - 80_000 - 9_000);
    assertEquals(80_700, clocks.offsetUs("cam"));
    clocks.onHeartbeat("cam", 0); // no clock: ignored
    assertEquals(80_700, clocks.offsetUs("cam"));
    now[0] += 700_000; // the 0.7 ms sample is now 1.1 s old: out of the window
    assertEquals(89_000, clocks.offsetUs("cam"));
    now[0] += 1_000_000;
    assertEquals(CameraClocks.UNKNOWN, clocks.offsetUs("cam"), "no recent heartbeat: no estimate");
    clocks.onHeartbeat("cam", now[0] + 5_000); // 5 ms ahead
    assertEquals(-5_000, clocks.offsetUs("cam"));
    clocks.reset("cam");
    assertEquals(CameraClocks.UNKNOWN, clocks.offsetUs("cam"));
  }

  @Test
  void fullQueueIsCountedNotWaitedFor() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    // A clock frozen far in the past: nothing is ever due, so 64 pending rejects fill the pool.
    long frozen = System.nanoTime();
    NanoClock clock = () -> frozen;
    try (RejectScheduler s =
        new RejectScheduler(
            timing(1000, "receipt"),
            List.of(out),
            metrics,
            clock,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      for (int i = 1; i <= 200; i++) {
        s.onVerdict(v.part("cam-1", i, Verdict.FAIL, 0, frozen));
        if (i % 32 == 0) {
          Thread.sleep(20); // let the scheduler drain its inbox into the pending pool
        }
      }
      await(() -> metrics.rejectsScheduled() + metrics.missed(MissCause.QUEUE_FULL) >= 200);
      assertEquals(200, metrics.rejectsScheduled() + metrics.missed(MissCause.QUEUE_FULL));
      assertEquals(64, metrics.rejectsScheduled(), "the pending pool holds queueSize rejects");
      assertFalse(out.alarms.isEmpty());
    }
  }

  @Test
  void disconnectedOutputCountsEveryMissedReject() throws Exception {
    RecordingOutput out = new RecordingOutput();
    out.connected = false;
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            lenientTiming(),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      for (int i = 1; i <= 10; i++) {
        s.onVerdict(
            v.part("cam-1", i, i % 2 == 0 ? Verdict.FAIL : Verdict.PASS, 0, System.nanoTime()));
      }
      await(() -> metrics.missed(MissCause.NOT_CONNECTED) == 5);
      assertEquals(10, metrics.verdicts());
      assertEquals(5, metrics.missed(MissCause.NOT_CONNECTED));
      assertEquals(
          5, metrics.snapshot().outputs().get("rec").missed().get(MissCause.NOT_CONNECTED));
    }
  }

  @Test
  void aThrowingOutputNeverBlocksAnotherOutputOrALaterReject() throws Exception {
    RecordingOutput good = new RecordingOutput();
    RecordingOutput broken =
        new RecordingOutput() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public void onVerdict(RejectOrder order) {
            if (order.sequence() == 2) {
              throw new IllegalStateException("onVerdict bug");
            }
          }

          @Override
          public void fire(RejectOrder order) {
            throw new IllegalStateException("fire bug");
          }
        };
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            lenientTiming(),
            List.of(broken, good),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      for (int i = 1; i <= 5; i++) {
        s.onVerdict(v.part("cam-1", i, Verdict.FAIL, 0, System.nanoTime()));
        Thread.sleep(5);
      }
      await(() -> good.fired.size() == 5);
      assertEquals(5, good.fired.size(), "the healthy output fired every reject");
      assertEquals(5, good.verdicts.size(), "and saw every verdict");
      assertEquals(
          5,
          metrics.snapshot().outputs().get("broken").missed().values().stream()
              .mapToLong(Long::longValue)
              .sum(),
          "each stroke the broken output lost is a missed reject");
      assertTrue(s.stage().errors() >= 6, "errors counted on the stage: " + s.stage().errors());
      assertEquals(null, s.stage().problem(System.nanoTime()), "the scheduler keeps running");
    }
  }

  @Test
  void warmUpVerdictsTakeTheWholeRejectPathAsADryRunAndAreNeverFiredOrCounted() throws Exception {
    RecordingOutput out = new RecordingOutput();
    ActuatorMetrics metrics = new ActuatorMetrics();
    try (RejectScheduler s =
        new RejectScheduler(
            lenientTiming(),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict().warmUp(true);
      s.onWarmUpVerdict(v.part("warm-up", 1, Verdict.FAIL, 0, System.nanoTime()));
      s.onWarmUpVerdict(v.part("warm-up", 2, Verdict.PASS, 0, System.nanoTime()));
      await(() -> out.dryRuns.size() == 2);
      Thread.sleep(60); // past the FAIL's fire time
      assertEquals(List.of("warm-up#1 FAIL", "warm-up#2 PASS"), out.dryRuns);
      assertTrue(out.fired.isEmpty(), "never fired");
      assertTrue(out.verdicts.isEmpty(), "never handed over as a verdict");
      assertEquals(0, metrics.verdicts());
      assertEquals(0, metrics.rejectsScheduled());
      assertEquals(0, metrics.missed());
      // and a real verdict right after still fires
      s.onVerdict(new TestVerdict().part("cam-1", 3, Verdict.FAIL, 0, System.nanoTime()));
      await(() -> out.fired.size() == 1);
      assertEquals(1, out.fired.size());
    }
  }
}
