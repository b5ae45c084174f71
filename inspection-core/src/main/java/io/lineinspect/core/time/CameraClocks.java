package io.lineinspect.core.time;

import io.lineinspect.core.health.BoundedCameras;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Each camera's clock offset, estimated from the timestamps of its HEARTBEATs, so that the reject
 * scheduler can tell a camera whose clock is wrong from a frame that was merely delayed.
 *
 * <p>A sample is {@code offset = service wall clock at receipt − the camera's timestamp}: the true
 * offset plus that heartbeat's transit, which is never negative. The estimate is therefore the
 * minimum over the camera's recent samples (as NTP's clock filter does): the true offset plus the
 * smallest transit seen, an upper bound that is tight on a LAN. Positive means the camera's clock
 * is behind the service's (its capture times are too early). Only samples received in the last
 * {@code windowMs} count (at most the last {@value #SAMPLES}), so a camera clock that steps is seen
 * within the window, and a camera that stops sending timestamps has no estimate after it.
 *
 * <p>Threading: fed by the ingest event loops ({@link #onHeartbeat}, {@link #reset}), read by the
 * {@code reject-scheduler} thread and the admin server; thread-safe, and allocation-free except the
 * first time a camera id is seen.
 */
public final class CameraClocks {
  /** What {@link #offsetUs} returns when a camera has no estimate. */
  public static final long UNKNOWN = Long.MIN_VALUE;

  /**
   * Offsets are clamped to ± this (about 146 000 years), so that no arithmetic on them overflows.
   */
  private static final long LIMIT_US = 1L << 62;

  /**
   * Cameras tracked at most ({@link BoundedCameras}): at this many, a new camera first evicts those
   * without a sample in the window (their estimate is unknown anyway); if none is stale the new
   * camera is not tracked (its offset stays unknown) and that is logged.
   */
  public static final int MAX_CAMERAS = BoundedCameras.MAX_CAMERAS;

  /** Samples kept per camera; the window may hold fewer. */
  static final int SAMPLES = 16;

  private final long windowUs;
  private final LongSupplier epochMicros;
  private final BoundedCameras<Camera> cameras = new BoundedCameras<>("camera clocks");

  /**
   * @param windowMs how long a heartbeat sample counts ({@code actuators.timing.clockWindowMs})
   * @param epochMicros the service's wall clock, epoch µs (the clock capture times are compared to)
   */
  public CameraClocks(long windowMs, LongSupplier epochMicros) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("windowMs must be positive, got " + windowMs);
    }
    this.windowUs = windowMs * 1_000;
    this.epochMicros = epochMicros;
  }

  /** The service's wall clock, epoch µs. */
  public long nowUs() {
    return epochMicros.getAsLong();
  }

  /**
   * A HEARTBEAT with a timestamp from camera {@code cameraId}, received now. A timestamp of 0 means
   * "no clock" and is ignored.
   */
  public void onHeartbeat(String cameraId, long cameraTimeUs) {
    onHeartbeat(cameraId, cameraTimeUs, epochMicros.getAsLong());
  }

  /** As {@link #onHeartbeat(String, long)}, received at {@code receivedUs} (service wall clock). */
  public void onHeartbeat(String cameraId, long cameraTimeUs, long receivedUs) {
    if (cameraTimeUs == 0) {
      return;
    }
    long offset;
    try {
      offset = Math.subtractExact(receivedUs, cameraTimeUs);
    } catch (ArithmeticException e) {
      offset = cameraTimeUs < 0 ? LIMIT_US : -LIMIT_US; // an absurd timestamp: off by "forever"
    }
    offset = Math.max(-LIMIT_US, Math.min(LIMIT_US, offset));
    Camera c =
        cameras.track(cameraId, Camera::new, s -> s.estimate(receivedUs, windowUs) == UNKNOWN);
    if (c != null) {
      c.add(offset, receivedUs);
    }
  }

  /** How many cameras have clock samples now (at most {@link #MAX_CAMERAS}). */
  public int tracked() {
    return cameras.size();
  }

  /**
   * Forgets a camera's samples: called when it connects (a restarted camera may run another clock).
   */
  public void reset(String cameraId) {
    Camera c = cameras.get(cameraId);
    if (c != null) {
      c.clear();
    }
  }

  /** The camera's estimated offset in µs (service − camera), or {@link #UNKNOWN}. */
  public long offsetUs(String cameraId) {
    return offsetUs(cameraId, epochMicros.getAsLong());
  }

  /** As {@link #offsetUs(String)}, at service wall-clock time {@code nowUs}. */
  public long offsetUs(String cameraId, long nowUs) {
    Camera c = cameras.get(cameraId);
    return c == null ? UNKNOWN : c.estimate(nowUs, windowUs);
  }

  /**
   * Every camera that ever sent a timestamp, by id, with its estimate in µs or {@link #UNKNOWN};
   * for the metrics endpoint (allocates).
   */
  public Map<String, Long> offsetsUs() {
    long now = epochMicros.getAsLong();
    Map<String, Long> m = new TreeMap<>();
    cameras.forEach((id, c) -> m.put(id, c.estimate(now, windowUs)));
    return m;
  }

  private static final class Camera {
    private final long[] offsetUs = new long[SAMPLES];
    private final long[] atUs = new long[SAMPLES];
    private int next;
    private int count;

    synchronized void add(long offset, long at) {
      offsetUs[next] = offset;
      atUs[next] = at;
      next = (next + 1) % SAMPLES;
      count = Math.min(count + 1, SAMPLES);
    }

    synchronized void clear() {
      count = 0;
      next = 0;
    }

    synchronized long estimate(long nowUs, long windowUs) {
      long min = UNKNOWN;
      boolean any = false;
      for (int i = 0; i < count; i++) {
        long age = nowUs - atUs[i];
        // A sample from the future (the service's clock stepped back) counts as fresh.
        if (age <= windowUs && (!any || offsetUs[i] < min)) {
          min = offsetUs[i];
          any = true;
        }
      }
      return min;
    }
  }
}
