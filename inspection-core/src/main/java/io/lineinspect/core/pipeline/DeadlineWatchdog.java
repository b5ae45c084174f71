package io.lineinspect.core.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.lineinspect.core.decide.Decider;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.time.NanoClock;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps the "on time" promise when the pipeline cannot: every tick it scans the frames still in
 * flight and, for each one whose deadline is less than {@code leadNs} away and whose verdict nobody
 * has claimed, claims it and sends the fail-safe verdict (reason DEADLINE) right away. The
 * pipeline's result for such a frame, when it comes, is counted as late and never sent.
 *
 * <p>Exactly-once: the claim is a compare-and-set on the entry's emission state, keyed by the ring
 * sequence the frame was published under, so the watchdog and the inference thread can never both
 * send, and a recycled entry can never be claimed by mistake. The inference thread does not release
 * an entry the watchdog is still reading (see {@link FrameEvent#awaitWatchdog()}).
 *
 * <p>Owned by its thread ({@code deadline-watchdog}).
 */
final class DeadlineWatchdog implements Runnable {
  private final RingBuffer<FrameEvent> ring;
  private final Sequence emitted;
  private final Decider decider;
  private final VerdictListener listener;
  private final PipelineMetrics metrics;
  private final NanoClock clock;
  private final long leadNs;
  private final long tickNs;
  private final VerdictRecord scratch = new VerdictRecord();
  private final Stage stage;
  private volatile boolean running = true;

  DeadlineWatchdog(
      RingBuffer<FrameEvent> ring,
      Sequence emitted,
      Decider decider,
      VerdictListener listener,
      PipelineMetrics metrics,
      NanoClock clock,
      long leadNs,
      long tickNs,
      Stage stage) {
    this.stage = stage;
    this.ring = ring;
    this.emitted = emitted;
    this.decider = decider;
    this.listener = listener;
    this.metrics = metrics;
    this.clock = clock;
    this.leadNs = leadNs;
    this.tickNs = tickNs;
  }

  @Override
  public void run() {
    stage.started();
    while (running) {
      try {
        scan();
      } catch (Throwable e) {
        // One bad pass must not end deadline protection for good: count it, scan again next tick.
        stage.error(e);
      }
      stage.beat();
      LockSupport.parkNanos(tickNs);
    }
  }

  /**
   * After the pipeline's threads stopped: every entry still unclaimed gets the fail-safe verdict
   * now, with {@code detail}, whatever its deadline (the service is stopping).
   *
   * @return how many got it
   */
  int failAllPending(String detail) {
    long now = clock.nanoTime();
    long hi = ring.getCursor();
    int sent = 0;
    for (long s = emitted.get() + 1; s <= hi; s++) {
      FrameEvent e = ring.get(s);
      if (e.emitState() == s && e.claimForWatchdog(s)) {
        try {
          deliverFailSafe(e, now, detail);
          sent++;
        } catch (RuntimeException | LinkageError ex) {
          stage.error(ex);
        } finally {
          e.watchdogDone();
        }
      }
    }
    return sent;
  }

  void stop() {
    running = false;
  }

  /**
   * One pass over the frames in flight.
   *
   * @return the number of fail-safe verdicts sent
   */
  int scan() {
    long now = clock.nanoTime();
    long hi = ring.getCursor();
    int sent = 0;
    for (long s = emitted.get() + 1; s <= hi; s++) {
      FrameEvent e = ring.get(s);
      // Reading the armed state first makes the fields written before it visible.
      if (e.emitState() != s || e.deadlineNs() - leadNs - now > 0 || !e.claimForWatchdog(s)) {
        continue;
      }
      try {
        deliverFailSafe(e, now, null);
        metrics.onWatchdogVerdict();
        sent++;
      } finally {
        e.watchdogDone();
      }
    }
    return sent;
  }

  private void deliverFailSafe(FrameEvent e, long now, String detail) {
    FrameSource source = e.source();
    // Bad content wins over time: a frame already known to be unusable keeps BAD_IMAGE (and its
    // camera, already sent the ERROR, is not sent it again).
    boolean bad = e.reason() == ReasonCode.BAD_IMAGE;
    VerdictRecord verdict =
        scratch.failSafe(
            source.cameraId(),
            e.sequence(),
            e.captureTimeUs(),
            e.hasEncoderCount(),
            e.encoderCount(),
            e.receivedNs(),
            decider.failSafe(),
            bad ? ReasonCode.BAD_IMAGE : ReasonCode.DEADLINE,
            bad ? e.detail() : detail,
            now);
    verdict
        .peerNotified(bad && e.peerNotified())
        .stagesReached(e.preprocessStartNs(), e.preprocessedNs(), e.inferStartNs(), e.inferEndNs())
        .warmUp(source.warmUp());
    source.deliverAndFlush(e.arrival(), verdict, listener, now);
  }
}
