package io.lineinspect.core.config;

/**
 * The ring, the batcher and the deadline watchdog.
 *
 * @param ringSize ring entries, a power of two (default 256): frames in the service at once
 * @param preprocessWorkers parallel preprocessing threads (default 1); 0 = the inference thread
 *     preprocesses each frame as it takes it (one thread hand-off less, for cheap preprocessing)
 * @param maxBatch largest inference batch (default 8)
 * @param maxDelayMs longest a frame waits for a batch to fill (default 2.0)
 * @param initialFrameBytes payload bytes preallocated per ring entry (default 65536); entries grow
 *     to the largest frame seen, up to {@code ingest.maxMessageBytes}
 * @param watchdogLeadMs the watchdog sends the fail-safe verdict of a frame still unjudged this
 *     long before its deadline, so it is on the wire within the budget (default 2.0)
 * @param idlePollUs a pipeline thread that runs out of work keeps polling (yielding the CPU to
 *     other runnable threads) this long before it parks (default 0: park after a short spin);
 *     trades idle CPU for hand-off latency, see {@code ParkingTimeoutWaitStrategy}
 * @param stallMs a stage thread (preprocess, inference, watchdog, reject scheduler, audit writer)
 *     whose loop has made no pass for this long counts as stalled: {@code /health} answers 503
 *     naming it and the PLC alarm coil is set (default 2000; a batch that legitimately takes longer
 *     than this on a slow CPU needs a higher value)
 */
public record PipelineConfig(
    Integer ringSize,
    Integer preprocessWorkers,
    Integer maxBatch,
    Double maxDelayMs,
    Integer initialFrameBytes,
    Double watchdogLeadMs,
    Double idlePollUs,
    Integer stallMs) {
  public PipelineConfig {
    ringSize = Check.intIn("pipeline.ringSize", ringSize, 256, 8, 1 << 20);
    if (Integer.bitCount(ringSize) != 1) {
      throw new ConfigException("pipeline.ringSize: must be a power of two, got " + ringSize);
    }
    preprocessWorkers = Check.intIn("pipeline.preprocessWorkers", preprocessWorkers, 1, 0, 64);
    maxBatch = Check.intIn("pipeline.maxBatch", maxBatch, 8, 1, 1024);
    maxDelayMs = Check.doubleIn("pipeline.maxDelayMs", maxDelayMs, 2.0, 0.0, 10_000.0);
    initialFrameBytes =
        Check.intIn("pipeline.initialFrameBytes", initialFrameBytes, 65_536, 0, 256 << 20);
    watchdogLeadMs = Check.doubleIn("pipeline.watchdogLeadMs", watchdogLeadMs, 2.0, 0.0, 1_000.0);
    idlePollUs = Check.doubleIn("pipeline.idlePollUs", idlePollUs, 0.0, 0.0, 150.0);
    stallMs = Check.intIn("pipeline.stallMs", stallMs, 2_000, 50, 600_000);
  }

  /** Settings with the default stall limit. */
  public PipelineConfig(
      Integer ringSize,
      Integer preprocessWorkers,
      Integer maxBatch,
      Double maxDelayMs,
      Integer initialFrameBytes,
      Double watchdogLeadMs,
      Double idlePollUs) {
    this(
        ringSize,
        preprocessWorkers,
        maxBatch,
        maxDelayMs,
        initialFrameBytes,
        watchdogLeadMs,
        idlePollUs,
        null);
  }

  /** Settings without idle polling. */
  public PipelineConfig(
      Integer ringSize,
      Integer preprocessWorkers,
      Integer maxBatch,
      Double maxDelayMs,
      Integer initialFrameBytes,
      Double watchdogLeadMs) {
    this(
        ringSize, preprocessWorkers, maxBatch, maxDelayMs, initialFrameBytes, watchdogLeadMs, null);
  }

  /** Settings with the default watchdog lead. */
  public PipelineConfig(
      Integer ringSize,
      Integer preprocessWorkers,
      Integer maxBatch,
      Double maxDelayMs,
      Integer initialFrameBytes) {
    this(ringSize, preprocessWorkers, maxBatch, maxDelayMs, initialFrameBytes, null, null);
  }

  /** All defaults. */
  public static PipelineConfig defaults() {
    return new PipelineConfig(null, null, null, null, null, null, null, null);
  }
}
