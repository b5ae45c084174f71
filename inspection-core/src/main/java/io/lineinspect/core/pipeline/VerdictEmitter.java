package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.Decider;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.ScoreCheck;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.time.NanoClock;

/**
 * Decides a ring entry's final verdict and hands it to its source, in ring order, then flushes
 * every source written to in the batch. This is the single place where pipeline verdicts leave: one
 * call of {@link #emit} per entry, so exactly one verdict per frame.
 *
 * <p>A result that arrives after the frame's deadline is worthless to the line (the part has passed
 * the reject gate): it is replaced by the fail-safe verdict with reason DEADLINE and counted as
 * late; the score is kept for the record.
 *
 * <p>Owned by the inference thread.
 */
public final class VerdictEmitter {
  private static final System.Logger LOG = System.getLogger(VerdictEmitter.class.getName());

  private final Decider decider;
  private final VerdictListener listener;
  private final PipelineMetrics metrics;
  private final NanoClock clock;
  private final FrameSource[] touched;
  private final ErrorLog invalidScores = new ErrorLog(LOG, "invalid model score");
  private int touchedCount;
  private long epoch;

  VerdictEmitter(
      Decider decider,
      VerdictListener listener,
      PipelineMetrics metrics,
      NanoClock clock,
      int maxSourcesPerBatch) {
    this.decider = decider;
    this.listener = listener;
    this.metrics = metrics;
    this.clock = clock;
    this.touched = new FrameSource[maxSourcesPerBatch];
  }

  /**
   * Decides and delivers one entry's verdict, unless the deadline watchdog already delivered the
   * fail-safe one: then the result is only counted as late.
   */
  public void emit(FrameEvent event) {
    if (!event.claimForPipeline()) {
      event.awaitWatchdog();
      metrics.onLateResult();
      return;
    }
    long now = clock.nanoTime();
    if (event.reason() == ReasonCode.NONE) {
      if (event.deadlineNs() - now < 0) {
        event.failSafe(ReasonCode.DEADLINE, null);
        metrics.onLate();
      } else if (!event.scored() || event.model() == null) {
        event.failSafe(ReasonCode.INFERENCE_ERROR, "backend returned no score");
      } else if (!ScoreCheck.usable(event.score())) {
        // NaN >= threshold is false: without this a NaN score would PASS the part.
        String problem = ScoreCheck.problem(event.score());
        event.failSafe(ReasonCode.INFERENCE_ERROR, problem);
        metrics.onInvalidScore();
        invalidScores.error(
            event.cameraId() + "#" + Long.toUnsignedString(event.sequence()) + ": " + problem,
            null);
      }
    }
    event.setVerdict(
        event.reason() == ReasonCode.NONE
            ? decider.judge(event.score(), event.model())
            : decider.failSafe());
    event.setEmittedNs(now);
    metrics.recordStages(event);
    FrameSource source = event.source();
    source.deliver(event.arrival(), event, listener, now);
    if (source.flushEpoch != epoch) {
      source.flushEpoch = epoch;
      if (touchedCount == touched.length) {
        flushTouched();
      }
      touched[touchedCount++] = source;
    }
  }

  /** Flushes every source written to since the last call. */
  public void endBatch() {
    flushTouched();
  }

  private void flushTouched() {
    for (int i = 0; i < touchedCount; i++) {
      FrameSource s = touched[i];
      touched[i] = null;
      synchronized (s) {
        s.safeFlush();
      }
    }
    touchedCount = 0;
    epoch++;
  }
}
