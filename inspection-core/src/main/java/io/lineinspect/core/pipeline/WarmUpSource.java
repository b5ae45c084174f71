package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.emit.VerdictView;

/**
 * The service's own frame source for the warm start ({@link LineWarmUp}): a camera that does not
 * exist. Its verdicts are marked {@link VerdictView#warmUp()} and go only to the listeners' dry run
 * ({@code onWarmUpVerdict}); here each one is checked against the promise (exactly one verdict per
 * frame, in order) and its stage times are kept for the steadiness test.
 *
 * <p>Threading: frames are published from the warm-up thread; verdicts are written under this
 * object's monitor (by {@code infer-0} or the watchdog), and the warm-up thread reads the figures
 * under the same monitor.
 */
final class WarmUpSource extends FrameSource {
  static final String CAMERA_ID = "warm-up";

  /** Per frame (by arrival index): stage times in ns, -1 while no verdict; guarded by this. */
  private long[] preprocessNs = new long[0];

  private long[] inferenceNs = new long[0];
  private long[] emitNs = new long[0];
  private long[] totalNs = new long[0];
  private int[] verdictsPerFrame = new int[0];
  private long expectedSequenceBase;
  private long verdicts;
  private long failSafe;
  private long fail;
  private long outOfOrder;
  private long duplicates;
  private long lastSequence;

  WarmUpSource() {
    super(CAMERA_ID);
  }

  @Override
  public boolean warmUp() {
    return true;
  }

  /** Warm-up thread: room for the verdicts of {@code frames} frames (arrival indices 0..n-1). */
  synchronized void expect(int frames, long firstSequence) {
    preprocessNs = new long[frames];
    inferenceNs = new long[frames];
    emitNs = new long[frames];
    totalNs = new long[frames];
    verdictsPerFrame = new int[frames];
    expectedSequenceBase = firstSequence;
  }

  @Override
  protected void writeVerdict(VerdictView v) {
    verdicts++;
    int i = (int) (v.sequence() - expectedSequenceBase);
    if (v.sequence() <= lastSequence) {
      outOfOrder++;
    }
    lastSequence = v.sequence();
    if (i < 0 || i >= verdictsPerFrame.length) {
      return;
    }
    if (verdictsPerFrame[i]++ > 0) {
      duplicates++;
      return;
    }
    if (v.verdict() == io.lineinspect.core.decide.Verdict.FAIL) {
      fail++;
    }
    if (v.reason() != ReasonCode.NONE) {
      failSafe++;
      totalNs[i] = -1;
      return;
    }
    preprocessNs[i] = v.preprocessedNs() - v.preprocessStartNs();
    inferenceNs[i] = v.inferEndNs() - v.inferStartNs();
    emitNs[i] = v.emittedNs() - v.inferEndNs();
    totalNs[i] = v.emittedNs() - v.receivedNs();
  }

  @Override
  protected void flush() {
    // nothing is on a wire
  }

  /** Verdicts written so far (duplicates included). */
  synchronized long verdicts() {
    return verdicts;
  }

  synchronized long failSafe() {
    return failSafe;
  }

  /** FAIL verdicts (judged or fail-safe): the parts a reject would have been fired for. */
  synchronized long fail() {
    return fail;
  }

  synchronized long outOfOrder() {
    return outOfOrder;
  }

  synchronized long duplicates() {
    return duplicates;
  }

  /** Frames among {@code [from, to)} that have not had a verdict. */
  synchronized int missing(int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (verdictsPerFrame[i] == 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Medians in ns over the judged frames of {@code [from, to)}: {preprocess, inference, emit,
   * total}, or null when none of them was judged.
   */
  synchronized long[] medians(int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (verdictsPerFrame[i] > 0 && totalNs[i] >= 0) {
        n++;
      }
    }
    if (n == 0) {
      return null;
    }
    long[][] stages = {preprocessNs, inferenceNs, emitNs, totalNs};
    long[] m = new long[stages.length];
    long[] values = new long[n];
    for (int s = 0; s < stages.length; s++) {
      int k = 0;
      for (int i = from; i < to; i++) {
        if (verdictsPerFrame[i] > 0 && totalNs[i] >= 0) {
          values[k++] = stages[s][i];
        }
      }
      java.util.Arrays.sort(values);
      m[s] = values[n / 2];
    }
    return m;
  }
}
