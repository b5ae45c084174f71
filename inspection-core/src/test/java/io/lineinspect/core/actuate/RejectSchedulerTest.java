package io.lineinspect.core.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
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
    public boolean connected() {
      return connected;
    }

    @Override
    public void close() {}
  }

  private static RejectTimingConfig timing(double travelMs, String clock) {
    return new RejectTimingConfig(travelMs, 0.0, clock, 2.0, 20.0, 64, null);
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
      assertEquals(receivedNs + 30_000_000L, out.fired.get(0).dueNs(), 1e6, "timed from receipt");
    }
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
            timing(5, "receipt"),
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
            timing(20, "receipt"),
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
}
