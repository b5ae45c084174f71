package io.lineinspect.core.batching;

/**
 * Predicts how long the backend needs for a batch of n frames, from warm-up measurements and a
 * moving average of live batches. The batcher uses it to decide whether waiting for one more frame
 * still leaves the oldest frame enough slack.
 *
 * <p>Owned by the inference thread; {@link #predictNs(int)} figures may be read elsewhere for
 * display only.
 */
public final class BatchTimingModel {
  private static final int EWMA_SHIFT = 3;

  private final long[] ewmaNs;

  public BatchTimingModel(int maxBatch) {
    ewmaNs = new long[maxBatch + 1];
  }

  /** Records one measured batch. */
  public void record(int batchSize, long elapsedNs) {
    if (batchSize < 1 || batchSize >= ewmaNs.length || elapsedNs < 0) {
      return;
    }
    long old = ewmaNs[batchSize];
    ewmaNs[batchSize] = old == 0 ? Math.max(1, elapsedNs) : old + ((elapsedNs - old) >> EWMA_SHIFT);
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

  public int maxBatch() {
    return ewmaNs.length - 1;
  }
}
