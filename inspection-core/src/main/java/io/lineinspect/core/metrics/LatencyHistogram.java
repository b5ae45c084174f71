package io.lineinspect.core.metrics;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One latency series as Prometheus wants it: cumulative counts in fixed buckets (a histogram that
 * {@code rate()} and {@code histogram_quantile()} can work on over any window) and the quantiles of
 * the last {@link #WINDOW_SECONDS} seconds (a rolling window that keeps moving on a service that
 * has run for weeks, unlike quantiles since start).
 *
 * <p>{@link #record} is called by the inference thread for every frame: a bucket scan over {@link
 * #BOUNDS_US}, three {@link LongAdder} increments and an HdrHistogram {@link Recorder} write, no
 * allocation and no lock. {@link #window} is called by the scrape thread (one at a time); it folds
 * what was recorded since the previous call into the current age slot, so a value is dated at the
 * scrape after it was recorded, not when it happened (off by at most one scrape interval).
 */
public final class LatencyHistogram {
  /** Upper bounds of the buckets, microseconds, for a verdict budget of 10–100 ms; then +Inf. */
  public static final long[] BOUNDS_US = {
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 75_000, 100_000, 250_000
  };

  /** How far back the windowed quantiles look. */
  public static final int WINDOW_SECONDS = 300;

  /** The window is made of this many age slots; the oldest is dropped as a new one starts. */
  static final int AGE_SLOTS = 5;

  private static final long MAX_US = 60_000_000L;
  private static final long SLOT_MS = WINDOW_SECONDS * 1000L / AGE_SLOTS;

  private final LongAdder[] buckets = new LongAdder[BOUNDS_US.length + 1];
  private final LongAdder count = new LongAdder();
  private final LongAdder sumUs = new LongAdder();
  private final Recorder recorder = new Recorder(1, MAX_US, 2);
  private final Histogram[] slots = new Histogram[AGE_SLOTS];
  private final Histogram merged = new Histogram(1, MAX_US, 2);
  private Histogram interval;
  private long slotStartMs = Long.MIN_VALUE;
  private int current;

  public LatencyHistogram() {
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = new LongAdder();
    }
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Histogram(1, MAX_US, 2);
    }
  }

  /** Any thread: one observation, microseconds (clamped to [1 µs, 60 s]). */
  public void record(long us) {
    long v = Math.min(MAX_US, Math.max(1, us));
    int i = 0;
    while (i < BOUNDS_US.length && v > BOUNDS_US[i]) {
      i++;
    }
    buckets[i].increment();
    count.increment();
    sumUs.add(v);
    recorder.recordValue(v);
  }

  /** Observations since start (or the last {@link #reset}). */
  public long count() {
    return count.sum();
  }

  /** Sum of the observations, microseconds. */
  public long sumUs() {
    return sumUs.sum();
  }

  /**
   * Non-cumulative count of bucket {@code i}: observations above {@code BOUNDS_US[i-1]} and at most
   * {@code BOUNDS_US[i]}; index {@code BOUNDS_US.length} is the +Inf bucket.
   */
  public long bucket(int i) {
    return buckets[i].sum();
  }

  /** The rolling window's figures now, microseconds (zeros when nothing was recorded in it). */
  public synchronized Window window(long nowMs) {
    interval = recorder.getIntervalHistogram(interval);
    if (slotStartMs == Long.MIN_VALUE) {
      slotStartMs = nowMs;
    }
    long age = nowMs - slotStartMs;
    if (age >= SLOT_MS) {
      long steps = Math.min(AGE_SLOTS, age / SLOT_MS);
      for (long s = 0; s < steps; s++) {
        current = (current + 1) % AGE_SLOTS;
        slots[current].reset();
      }
      slotStartMs += age / SLOT_MS * SLOT_MS;
    }
    slots[current].add(interval);
    merged.reset();
    for (Histogram h : slots) {
      merged.add(h);
    }
    if (merged.getTotalCount() == 0) {
      return new Window(0, 0, 0, 0);
    }
    return new Window(
        merged.getTotalCount(),
        merged.getValueAtPercentile(50),
        merged.getValueAtPercentile(99),
        merged.getMaxValue());
  }

  /** Forgets everything (the end of the warm start). */
  public synchronized void reset() {
    for (LongAdder b : buckets) {
      b.reset();
    }
    count.reset();
    sumUs.reset();
    recorder.reset();
    for (Histogram h : slots) {
      h.reset();
    }
    slotStartMs = Long.MIN_VALUE;
  }

  /** The rolling window: observations in it and their median, 99th percentile and maximum, µs. */
  public record Window(long count, long p50Us, long p99Us, long maxUs) {}
}
