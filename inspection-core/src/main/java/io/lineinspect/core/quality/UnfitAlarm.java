package io.lineinspect.core.quality;

import io.lineinspect.core.config.QualityAlarmConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.health.BoundedCameras;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Raises a camera's "unfit image" alarm when it keeps sending frames that cannot be judged: after
 * {@code alarmAfter} consecutive UNFIT_IMAGE verdicts of that camera; clears it after {@code
 * clearAfter} consecutive judged verdicts. Every unfit frame already fails safe on its own; the
 * alarm is for people (a lens cap left on, a dead light: the line rejects everything it sees) and
 * for the PLC ({@link #activeAlarms()}). Verdicts decided for other reasons (overload, deadline)
 * neither count towards nor break a run. Each raise and clear is logged once.
 *
 * <p>A {@link VerdictListener}: called on the inference thread, the watchdog or an ingest thread,
 * one camera's verdicts one at a time (under its source's lock); per camera it keeps two counters
 * and a flag, looked up without allocation after the camera's first verdict. {@link
 * #activeAlarms()} and {@link #alarmStates()} may be called from any thread.
 */
public final class UnfitAlarm implements VerdictListener {
  private static final System.Logger LOG = System.getLogger(UnfitAlarm.class.getName());

  private final int alarmAfter;
  private final int clearAfter;
  private final BoundedCameras<Camera> cameras = new BoundedCameras<>("unfit-image alarms");

  /**
   * Cameras tracked at most ({@link BoundedCameras}): at this many, a new camera first evicts those
   * that never raised their alarm (their run restarts if they come back; a raise count is a counter
   * on /metrics, so it is kept); if none may go, the new camera is not tracked (its frames are
   * still failed safe UNFIT_IMAGE, only this alarm is missing) and that is logged.
   */
  public static final int MAX_CAMERAS = BoundedCameras.MAX_CAMERAS;

  private static final class Camera {
    long unfitRun;
    long fitRun;
    long raised;
    volatile boolean alarm;
  }

  public UnfitAlarm(QualityAlarmConfig config) {
    this.alarmAfter = config.alarmAfter();
    this.clearAfter = config.clearAfter();
  }

  @Override
  public void onVerdict(VerdictView v) {
    ReasonCode reason = v.reason();
    if (reason != ReasonCode.UNFIT_IMAGE && reason != ReasonCode.NONE) {
      return;
    }
    String id = v.cameraId();
    // Only cameras that never raised it may go: the raised count is a counter on /metrics.
    Camera c = cameras.track(id, Camera::new, k -> !k.alarm && k.raised == 0);
    if (c == null) {
      return;
    }
    String raisedDetail = null;
    boolean cleared = false;
    long run;
    synchronized (c) {
      if (reason == ReasonCode.UNFIT_IMAGE) {
        c.fitRun = 0;
        run = ++c.unfitRun;
        if (!c.alarm && run >= alarmAfter) {
          c.alarm = true;
          c.raised++;
          raisedDetail = v.detail();
        }
      } else {
        c.unfitRun = 0;
        run = ++c.fitRun;
        if (c.alarm && run >= clearAfter) {
          c.alarm = false;
          cleared = true;
        }
      }
    }
    if (raisedDetail != null) {
      LOG.log(
          Level.WARNING,
          "camera {0}: unfit-image alarm raised after {1} consecutive unfit frames (last: {2})",
          id,
          String.valueOf(run),
          raisedDetail);
    } else if (cleared) {
      LOG.log(
          Level.INFO,
          "camera {0}: unfit-image alarm cleared after {1} judged frames",
          id,
          String.valueOf(run));
    }
  }

  /** How many cameras are tracked now (at most {@link #MAX_CAMERAS}). */
  public int tracked() {
    return cameras.size();
  }

  /** Camera ids whose unfit-image alarm is raised now, sorted. */
  public List<String> activeAlarms() {
    List<String> active = new ArrayList<>();
    cameras.forEach(
        (id, c) -> {
          if (c.alarm) {
            active.add(id);
          }
        });
    active.sort(null);
    return active;
  }

  /** Every camera seen, with whether its alarm is raised now (for the per-camera gauge). */
  public Map<String, Boolean> alarmStates() {
    Map<String, Boolean> m = new TreeMap<>();
    cameras.forEach((id, c) -> m.put(id, c.alarm));
    return m;
  }

  /** How often {@code cameraId}'s alarm has been raised since start. */
  public long raised(String cameraId) {
    Camera c = cameras.get(cameraId);
    if (c == null) {
      return 0;
    }
    synchronized (c) {
      return c.raised;
    }
  }
}
