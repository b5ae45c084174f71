package io.lineinspect.core.batching;

/**
 * Predicts how long the backend needs for a batch of n frames, from warm-up measurements and a
 * moving average of live batches, and derives from it how many frames the service can hold and
 * still judge within the budget (the admission limit).
 *
 * <p>Outliers are bounded: one sample can at most double the estimate (the first sample of a size
 * is capped at {@code firstSampleCapNs}). Otherwise a single hung batch would predict every later
 * batch as hopeless, every frame would be failed safe before inference, and no new measurement
 * could ever correct the estimate.
 *
 * <p>Written by the inference thread only; {@link #admissionLimit()} is read by ingest threads.
 */
public final class BatchTimingModel {
  private static final int EWMA_SHIFT = 3;

  private final long[] ewmaNs;
  private final long firstSampleCapNs;
  private final long slackNs;
  private final int unboundedLimit;
  private volatile int admissionLimit;

  /**
   * @param maxBatch largest batch
   * @param slackNs time a frame has for queueing plus inference (budget minus watchdog lead)
   * @param unboundedLimit the admission limit while nothing has been measured (the ring size)
   */
  public BatchTimingModel(int maxBatch, long slackNs, int unboundedLimit) {
    this.ewmaNs = new long[maxBatch + 1];
    this.firstSampleCapNs = Math.max(1, slackNs / 2);
    this.slackNs = slackNs;
    this.unboundedLimit = unboundedLimit;
    this.admissionLimit = unboundedLimit;
  }

  /**
   * Sets the estimate for one batch size from a deliberate measurement (warm-up), without the
   * outlier cap that guards live samples.
   */
  public void seed(int batchSize, long elapsedNs) {
    if (batchSize < 1 || batchSize >= ewmaNs.length || elapsedNs < 0) {
      return;
    }
    ewmaNs[batchSize] = Math.max(1, elapsedNs);
    updateAdmissionLimit();
  }

  /** Records one measured live batch and updates the admission limit. */
  public void record(int batchSize, long elapsedNs) {
    if (batchSize < 1 || batchSize >= ewmaNs.length || elapsedNs < 0) {
      return;
    }
    long old = ewmaNs[batchSize];
    long sample = Math.max(1, Math.min(elapsedNs, old == 0 ? firstSampleCapNs : 2 * old));
    ewmaNs[batchSize] = old == 0 ? sample : old + ((sample - old) >> EWMA_SHIFT);
    updateAdmissionLimit();
  }

  /**
   * Predicted time for a batch of {@code batchSize}: the measured average when there is one,
   * otherwise scaled linearly from the nearest smaller measured size, otherwise 0.
   */
  public long predictNs(int batchSize) {
    int n = Math.min(Math.max(batchSize, 1), ewmaNs.length - 1);
    if (ewmaNs[n] != 0) {
      return ewmaNs[n];
    }
    for (int k = n - 1; k >= 1; k--) {
      if (ewmaNs[k] != 0) {
        return ewmaNs[k] * n / k;
      }
    }
    for (int k = n + 1; k < ewmaNs.length; k++) {
      if (ewmaNs[k] != 0) {
        return ewmaNs[k];
      }
    }
    return 0;
  }

  /**
   * How many frames may be in the service at once so that the last one admitted can still be judged
   * in time: the best over batch sizes b of {@code floor(slack / time(b)) × b} (under load the
   * batcher forms full batches, so a newly admitted frame waits for whole batches), at least one
   * full batch (so measurements keep coming even when the model is slower than the budget).
   */
  public int admissionLimit() {
    return admissionLimit;
  }

  private void updateAdmissionLimit() {
    long best = 0;
    boolean measured = false;
    for (int b = 1; b < ewmaNs.length; b++) {
      long t = predictNs(b);
      if (t > 0) {
        measured = true;
        best = Math.max(best, (slackNs / t) * b);
      }
    }
    int max = ewmaNs.length - 1;
    admissionLimit =
        measured ? (int) Math.min(unboundedLimit, Math.max(max, best)) : unboundedLimit;
  }

  public int maxBatch() {
    return ewmaNs.length - 1;
  }
}
