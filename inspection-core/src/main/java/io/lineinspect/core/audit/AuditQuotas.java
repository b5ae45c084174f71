package io.lineinspect.core.audit;

import io.lineinspect.core.metrics.CameraSeries;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fair shares of the audit queue, so that one camera's flood can never push another camera's
 * records out of the audit trail ({@code docs/operations.md}, "Fair shares").
 *
 * <p>Records of a camera (its verdicts and its rejects' outcomes) may fill the queue. With n
 * cameras known, each camera's share is {@code queueSize / n}:
 *
 * <ul>
 *   <li>a camera holding fewer slots than its share is admitted (while the queue has a free slot,
 *       which the rules below keep true);
 *   <li>a camera at or over its share is admitted only while the free slots left after it still
 *       hold every other camera's unused share, and a sixteenth of the queue for a camera not seen
 *       yet — otherwise its newest record is dropped and counted for that camera, and the writer
 *       later records the gap in the chain;
 *   <li>no camera holds more than fifteen sixteenths of the queue, so that a camera that starts
 *       streaming during a flood finds room at once (and, once seen, its share).
 * </ul>
 *
 * <p>So cameras that keep to their shares use the whole queue as before, and a flooding camera
 * beside others only what they leave unused: the others always find their share free. "Known"
 * cameras are those the configuration names (from the start) and every other id as first seen, as
 * many as {@link CameraSeries} gives series of their own; all further ids share the one quota of
 * {@link CameraSeries#OTHER}, which bounds the table whatever ids peers send (once that quota
 * exists, a newcomer is counted in it, and no room is kept for one). Records without a camera (none
 * today: the writer's own gap and retention lines never go through the queue) take any free slot.
 *
 * <p>Threads: {@link #quota}, {@link #admit} and {@link #dropped} from any producer thread,
 * lock-free and allocation-free for a camera seen before (a new camera is registered once, under a
 * lock); {@link #release} and the gap bookkeeping ({@link Quota#recorded} and friends) on the
 * {@code audit-writer} thread only. Concurrent producers can exceed a share by a record or two
 * (check, then count); the camera total is exact ({@link #admit} counts, then checks).
 */
final class AuditQuotas {
  /** One camera's (or one class of records') slots in the queue and its drops. */
  static final class Quota {
    /** The camera id (or {@link CameraSeries#OTHER}); null for records without a camera. */
    final String camera;

    final AtomicInteger queued = new AtomicInteger();
    final LongAdder dropped = new LongAdder();

    /** Epoch µs of the first drop not yet recorded in the chain (0 = none since the last gap). */
    final AtomicLong firstDropUs = new AtomicLong();

    volatile long lastDropUs;

    /** Writer thread: drops already recorded as gaps in the chain. */
    long recorded;

    /** Writer thread: when the writer first saw the unrecorded drops (0 = none). */
    long seenNs;

    /** Writer thread: the end of the last gap recorded. */
    long lastGapToUs;

    Quota(String camera) {
      this.camera = camera;
    }
  }

  private final int limit;
  private final int newcomer;
  private final AtomicInteger cameraQueued = new AtomicInteger();
  private final ConcurrentHashMap<String, Quota> byId = new ConcurrentHashMap<>();
  private final Map<String, Quota> byLabel = new LinkedHashMap<>();
  private volatile Quota[] cameras = new Quota[0];
  private volatile CameraSeries series = CameraSeries.defaults();
  private volatile Quota other;

  /** Records without a camera: any free slot of the ring, not counted against the cameras. */
  final Quota cameraless = new Quota(null);

  /** Warm-up verdicts: counted with the cameras, admitted only while a quarter is free. */
  final Quota warmUp = new Quota("warm-up");

  /**
   * @param queueSize the queue's slots
   */
  AuditQuotas(int queueSize) {
    this.limit = queueSize;
    this.newcomer = Math.max(1, queueSize / 16);
  }

  /**
   * Which camera ids get quotas of their own: the series' named cameras at once, others as seen.
   * Set at wiring time, before the first record.
   */
  synchronized void limitCameras(CameraSeries cameraSeries) {
    this.series = cameraSeries;
    for (String id : cameraSeries.named()) {
      register(id);
    }
  }

  /** The quota {@code cameraId}'s records count against; null id: {@link #cameraless}. */
  Quota quota(String cameraId) {
    if (cameraId == null) {
      return cameraless;
    }
    Quota q = byId.get(cameraId);
    if (q != null) {
      return q;
    }
    Quota o = other;
    if (o != null && CameraSeries.OTHER.equals(series.label(cameraId))) {
      return o;
    }
    return register(cameraId);
  }

  private synchronized Quota register(String cameraId) {
    Quota q = byId.get(cameraId);
    if (q != null) {
      return q;
    }
    String label = series.label(cameraId);
    q = byLabel.get(label);
    if (q == null) {
      q = new Quota(label);
      byLabel.put(label, q);
      Quota[] grown = java.util.Arrays.copyOf(cameras, cameras.length + 1);
      grown[grown.length - 1] = q;
      cameras = grown;
      if (CameraSeries.OTHER.equals(label)) {
        other = q;
      }
    }
    if (label.equals(cameraId)) {
      byId.put(cameraId, q);
    }
    return q;
  }

  /** Takes a slot for one record of {@code q}, or says no (then call {@link #dropped}). */
  boolean admit(Quota q) {
    if (q == cameraless) {
      q.queued.incrementAndGet();
      return true;
    }
    int total = cameraQueued.incrementAndGet();
    boolean ok = total <= limit;
    if (ok && q == warmUp) {
      ok = total <= limit - limit / 4;
    } else if (ok) {
      Quota[] all = cameras;
      int keep = other == null ? newcomer : 0;
      int share = limit / Math.max(1, all.length);
      int mine = q.queued.get();
      if (mine >= limit - keep) {
        ok = false;
      } else if (mine >= share) {
        long unusedOfOthers = keep;
        for (Quota o : all) {
          if (o != q) {
            unusedOfOthers += Math.max(0, share - o.queued.get());
          }
        }
        ok = limit - total >= unusedOfOthers;
      }
    }
    if (!ok) {
      cameraQueued.decrementAndGet();
      return false;
    }
    q.queued.incrementAndGet();
    return true;
  }

  /** Gives back the slot of a record the writer has consumed (or that found no ring slot). */
  void release(Quota q) {
    q.queued.decrementAndGet();
    if (q != cameraless) {
      cameraQueued.decrementAndGet();
    }
  }

  /** Counts a record of {@code q} not queued, dropped at {@code atUs} (epoch µs). */
  void dropped(Quota q, long atUs) {
    if (q == warmUp) {
      return; // nothing is lost: warm-up verdicts are never written
    }
    q.firstDropUs.compareAndSet(0, atUs);
    q.lastDropUs = atUs;
    q.dropped.increment();
  }

  /** The share of one camera now: {@code queueSize / cameras known}. */
  int share() {
    return limit / Math.max(1, cameras.length);
  }

  /** The cameras' quotas (an array, so the writer iterates without allocating). */
  Quota[] cameras() {
    return cameras;
  }

  /** Records dropped so far per camera (by metrics label), for {@code /metrics}. */
  Map<String, Long> droppedByCamera() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Quota q : cameras) {
      m.put(q.camera, q.dropped.sum());
    }
    if (cameraless.dropped.sum() > 0) {
      m.put("", cameraless.dropped.sum());
    }
    return m;
  }
}
