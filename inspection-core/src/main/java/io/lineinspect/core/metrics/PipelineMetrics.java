package io.lineinspect.core.metrics;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counters and the service-side latency histogram (frame receipt to verdict handed to the
 * connection, service monotonic clock). Thread-safe: written by ingest and inference threads, read
 * by anyone through {@link #snapshot()}.
 */
public final class PipelineMetrics implements VerdictListener {
  private static final long MAX_TRACKED_LATENCY_US = 60_000_000L;

  private final LongAdder published = new LongAdder();
  private final LongAdder verdicts = new LongAdder();
  private final LongAdder pass = new LongAdder();
  private final LongAdder fail = new LongAdder();
  private final LongAdder[] byReason = new LongAdder[ReasonCode.all().length];
  private final LongAdder batches = new LongAdder();
  private final LongAdder batchedFrames = new LongAdder();
  private final LongAdder late = new LongAdder();
  private final Recorder latencyUs = new Recorder(1, MAX_TRACKED_LATENCY_US, 3);
  private final Histogram totalLatencyUs = new Histogram(1, MAX_TRACKED_LATENCY_US, 3);

  public PipelineMetrics() {
    for (int i = 0; i < byReason.length; i++) {
      byReason[i] = new LongAdder();
    }
  }

  /** A frame entered the ring. */
  public void onPublished() {
    published.increment();
  }

  /** The inference stage ran a batch of {@code size} frames. */
  public void onBatch(int size) {
    batches.increment();
    batchedFrames.add(size);
  }

  @Override
  public void onVerdict(VerdictView v) {
    verdicts.increment();
    (v.verdict() == Verdict.PASS ? pass : fail).increment();
    byReason[v.reason().ordinal()].increment();
    long us = Math.max(1, (v.emittedNs() - v.receivedNs()) / 1_000);
    latencyUs.recordValue(Math.min(us, MAX_TRACKED_LATENCY_US));
  }

  /** A verdict was emitted after its deadline (it was failed safe as DEADLINE). */
  public void onLate() {
    late.increment();
  }

  /**
   * A consistent-enough view for progress lines and summaries. The latency histogram covers
   * everything recorded since start; call from one reader thread at a time.
   */
  public synchronized Snapshot snapshot() {
    totalLatencyUs.add(latencyUs.getIntervalHistogram());
    Map<ReasonCode, Long> reasons = new EnumMap<>(ReasonCode.class);
    for (ReasonCode r : ReasonCode.all()) {
      reasons.put(r, byReason[r.ordinal()].sum());
    }
    return new Snapshot(
        published.sum(),
        verdicts.sum(),
        pass.sum(),
        fail.sum(),
        Map.copyOf(reasons),
        batches.sum(),
        batchedFrames.sum(),
        late.sum(),
        totalLatencyUs.getValueAtPercentile(50),
        totalLatencyUs.getValueAtPercentile(99),
        totalLatencyUs.getMaxValue());
  }

  /** Point-in-time figures; latencies in microseconds. */
  public record Snapshot(
      long published,
      long verdicts,
      long pass,
      long fail,
      Map<ReasonCode, Long> byReason,
      long batches,
      long batchedFrames,
      long late,
      long latencyP50Us,
      long latencyP99Us,
      long latencyMaxUs) {

    /** Verdicts that were fail-safe, whatever the reason. */
    public long failSafe() {
      long n = 0;
      for (Map.Entry<ReasonCode, Long> e : byReason.entrySet()) {
        if (e.getKey().isFailSafe()) {
          n += e.getValue();
        }
      }
      return n;
    }

    public double meanBatchSize() {
      return batches == 0 ? 0 : (double) batchedFrames / batches;
    }
  }
}
