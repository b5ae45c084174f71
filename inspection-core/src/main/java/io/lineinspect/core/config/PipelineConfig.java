package io.lineinspect.core.config;

/**
 * The ring and the batcher.
 *
 * @param ringSize ring entries, a power of two (default 1024): frames in the service at once
 * @param preprocessWorkers parallel preprocessing threads (default 1)
 * @param maxBatch largest inference batch (default 8)
 * @param maxDelayMs longest a frame waits for a batch to fill (default 2.0)
 * @param initialFrameBytes payload bytes preallocated per ring entry (default 65536); entries grow
 *     to the largest frame seen, up to {@code ingest.maxMessageBytes}
 */
public record PipelineConfig(
    Integer ringSize,
    Integer preprocessWorkers,
    Integer maxBatch,
    Double maxDelayMs,
    Integer initialFrameBytes) {
  public PipelineConfig {
    ringSize = Check.intIn("pipeline.ringSize", ringSize, 1024, 8, 1 << 20);
    if (Integer.bitCount(ringSize) != 1) {
      throw new ConfigException("pipeline.ringSize: must be a power of two, got " + ringSize);
    }
    preprocessWorkers = Check.intIn("pipeline.preprocessWorkers", preprocessWorkers, 1, 1, 64);
    maxBatch = Check.intIn("pipeline.maxBatch", maxBatch, 8, 1, 1024);
    maxDelayMs = Check.doubleIn("pipeline.maxDelayMs", maxDelayMs, 2.0, 0.0, 10_000.0);
    initialFrameBytes =
        Check.intIn("pipeline.initialFrameBytes", initialFrameBytes, 65_536, 0, 256 << 20);
  }

  /** All defaults. */
  public static PipelineConfig defaults() {
    return new PipelineConfig(null, null, null, null, null);
  }
}
