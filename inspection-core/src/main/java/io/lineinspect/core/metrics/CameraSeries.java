package io.lineinspect.core.metrics;

import io.lineinspect.core.config.MetricsConfig;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which camera ids get metrics of their own. A camera id is whatever a peer sends in its HELLO, and
 * every id with its own series keeps them (and their counters' memory) until a restart: so the
 * cameras the configuration names always get their own, at most {@code maxUnnamed} other ids get
 * theirs (the first ones seen), and every further id is counted under {@link #OTHER}.
 *
 * <p>Thread-safe; {@link #label} of an id seen before is one map lookup and allocates nothing.
 */
public final class CameraSeries {
  /** The label of every camera without series of its own. */
  public static final String OTHER = MetricsConfig.OTHER;

  private final Set<String> named;
  private final int maxUnnamed;
  private final ConcurrentHashMap<String, String> admitted = new ConcurrentHashMap<>();
  private volatile boolean full;

  /**
   * @param named ids that always get their own series
   * @param maxUnnamed other ids that get their own series, first come first served
   */
  public CameraSeries(Set<String> named, int maxUnnamed) {
    this.named = Set.copyOf(named);
    this.maxUnnamed = maxUnnamed;
    for (String id : this.named) {
      admitted.put(id, id);
    }
    full = maxUnnamed == 0;
  }

  /** No named cameras, the default number of unnamed ones. */
  public static CameraSeries defaults() {
    MetricsConfig d = MetricsConfig.defaults();
    return new CameraSeries(Set.copyOf(d.cameras()), d.maxCameraSeries());
  }

  /** The label {@code cameraId}'s figures are counted under: the id itself or {@link #OTHER}. */
  public String label(String cameraId) {
    String l = admitted.get(cameraId);
    if (l != null) {
      return l;
    }
    if (full) {
      return OTHER;
    }
    return admit(cameraId);
  }

  private synchronized String admit(String cameraId) {
    String l = admitted.get(cameraId);
    if (l != null) {
      return l;
    }
    if (admitted.size() - named.size() >= maxUnnamed) {
      full = true;
      return OTHER;
    }
    admitted.put(cameraId, cameraId);
    return cameraId;
  }

  /** The ids that have their own series now: the named ones and the unnamed ones admitted. */
  public java.util.List<String> labels() {
    return java.util.List.copyOf(admitted.values());
  }

  /** The ids that always get their own series (the configuration's cameras). */
  public Set<String> named() {
    return named;
  }

  /** The most distinct labels {@link #label} can return: named, unnamed and {@link #OTHER}. */
  public int maxLabels() {
    return named.size() + maxUnnamed + 1;
  }
}
