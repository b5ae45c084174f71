package io.lineinspect.app.dashboard;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Verdict latency over the last minute and the last hour, as rolling windows (not since start):
 * sixty one-second histograms and sixty one-minute histograms, each reused once its time has
 * passed; a window's percentiles are those of the sum of its buckets. Deadline misses are counted
 * in the same buckets. Owned by the {@code dashboard} thread.
 */
final class RollingLatency {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
  private static final long MAX_US = TimeUnit.SECONDS.toMicros(60);

  private final Bucket[] seconds = buckets();
  private final Bucket[] minutes = buckets();
  private final Histogram sum = new Histogram(MAX_US, 2);

  private static final class Bucket {
    long index = Long.MIN_VALUE;
    final Histogram h = new Histogram(MAX_US, 2);
    long misses;
  }

  private static Bucket[] buckets() {
    Bucket[] b = new Bucket[60];
    for (int i = 0; i < b.length; i++) {
      b[i] = new Bucket();
    }
    return b;
  }

  void record(long atNs, long latencyUs, boolean late) {
    add(seconds, Math.floorDiv(atNs, SECOND), latencyUs, late);
    add(minutes, Math.floorDiv(atNs, MINUTE), latencyUs, late);
  }

  private static void add(Bucket[] ring, long index, long us, boolean late) {
    Bucket b = ring[(int) Math.floorMod(index, (long) ring.length)];
    if (b.index != index) {
      b.index = index;
      b.h.reset();
      b.misses = 0;
    }
    b.h.recordValue(Math.max(0, Math.min(us, MAX_US)));
    if (late) {
      b.misses++;
    }
  }

  /** Sums the buckets of the last 60 units before {@code now} into {@link #sum}; returns misses. */
  private long window(Bucket[] ring, long nowIndex) {
    sum.reset();
    long misses = 0;
    for (Bucket b : ring) {
      if (b.index > nowIndex - ring.length && b.index <= nowIndex) {
        sum.add(b.h);
        misses += b.misses;
      }
    }
    return misses;
  }

  long missesLastMinute(long nowNs) {
    return window(seconds, Math.floorDiv(nowNs, SECOND));
  }

  long p99LastMinute(long nowNs) {
    window(seconds, Math.floorDiv(nowNs, SECOND));
    return sum.getTotalCount() == 0 ? 0 : sum.getValueAtPercentile(99);
  }

  Map<String, Object> toJson(long nowNs, long budgetUs) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("budgetUs", budgetUs);
    long missMinute = window(seconds, Math.floorDiv(nowNs, SECOND));
    m.put("minute", stats(missMinute));
    long missHour = window(minutes, Math.floorDiv(nowNs, MINUTE));
    m.put("hour", stats(missHour));
    return m;
  }

  private Map<String, Object> stats(long misses) {
    Map<String, Object> m = new LinkedHashMap<>();
    long n = sum.getTotalCount();
    m.put("count", n);
    m.put("p50Us", n == 0 ? null : sum.getValueAtPercentile(50));
    m.put("p99Us", n == 0 ? null : sum.getValueAtPercentile(99));
    m.put("maxUs", n == 0 ? null : sum.getMaxValue());
    m.put("deadlineMisses", misses);
    return m;
  }
}
