package io.lineinspect.core.health;

import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * State kept per camera id, at most {@link #MAX_CAMERAS} ids: an open camera port that sees ever
 * new ids cannot grow it without bound. A new id at the bound first evicts the entries its owner
 * says may go (stale ones); if none may, the new id is not tracked, which is logged (the 1st, 2nd,
 * 4th, … time). Lookups of tracked ids do not lock or allocate; tracking a new id locks.
 *
 * @param <V> the per-camera state
 */
public final class BoundedCameras<V> {
  /** Camera ids tracked at most. */
  public static final int MAX_CAMERAS = 4096;

  private static final System.Logger LOG = System.getLogger(BoundedCameras.class.getName());

  private final ConcurrentHashMap<String, V> byId = new ConcurrentHashMap<>();
  private final String what;
  private long untracked;

  /**
   * @param what the state, for the log line ("camera clocks", "unfit-image alarms")
   */
  public BoundedCameras(String what) {
    this.what = what;
  }

  /** The state of {@code id}, or null when it is not tracked. */
  public V get(String id) {
    return byId.get(id);
  }

  /**
   * The state of {@code id}, created when absent; at the bound, the entries {@code evictable} holds
   * for are evicted first, and null is returned when none is.
   */
  public V track(String id, Supplier<V> create, Predicate<V> evictable) {
    V v = byId.get(id);
    return v != null ? v : trackNew(id, create, evictable);
  }

  private synchronized V trackNew(String id, Supplier<V> create, Predicate<V> evictable) {
    if (byId.size() >= MAX_CAMERAS && !byId.containsKey(id)) {
      byId.values().removeIf(evictable);
      if (byId.size() >= MAX_CAMERAS) {
        untracked++;
        if (Long.bitCount(untracked) == 1) {
          LOG.log(
              Level.WARNING,
              "{0}: {1} cameras tracked, none stale; camera {2} is not tracked ({3} times so far)",
              what,
              String.valueOf(MAX_CAMERAS),
              id,
              untracked);
        }
        return null;
      }
    }
    return byId.computeIfAbsent(id, k -> create.get());
  }

  /** How many ids are tracked now. */
  public int size() {
    return byId.size();
  }

  /** Every tracked id with its state (weakly consistent). */
  public void forEach(BiConsumer<String, V> action) {
    byId.forEach(action);
  }
}
