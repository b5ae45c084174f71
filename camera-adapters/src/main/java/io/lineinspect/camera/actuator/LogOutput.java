package io.lineinspect.camera.actuator;

import io.lineinspect.core.actuate.ActuatorEvents;
import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.actuate.RejectOrder;
import java.lang.System.Logger.Level;

/**
 * Dry run: logs each reject at the moment it would fire ("shadow the line before you switch it
 * on"). Always connected; counts its rejects like a real output so a dry run's report reads the
 * same.
 */
public final class LogOutput implements ActuatorOutput {
  private static final System.Logger LOG = System.getLogger(LogOutput.class.getName());
  private final LogOutputConfig config;
  private ActuatorEvents events;

  public LogOutput(LogOutputConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return config.name();
  }

  @Override
  public void start(ActuatorEvents events) {
    this.events = events;
    events.connection(config.name(), true, "(log only: no actuator is driven)");
  }

  @Override
  public void onVerdict(RejectOrder o) {
    if (config.verdicts()) {
      LOG.log(
          Level.INFO,
          "[{0}] verdict {1} {2} reason {3} score {4}",
          config.name(),
          o.partId(),
          o.verdict(),
          o.reason(),
          o.score());
    }
  }

  @Override
  public void fire(RejectOrder o) {
    events.fired(config.name());
    long lateUs = RejectTiming.latenessUs(o);
    LOG.log(
        Level.INFO,
        "[{0}] REJECT {1} (reason {2}) at {3} µs, {4} µs after due",
        config.name(),
        o.partId(),
        o.reason(),
        o.fireAtEpochUs(),
        lateUs);
    events.delivered(config.name(), o.cameraId(), o.sequence(), lateUs);
  }

  @Override
  public boolean connected() {
    return true;
  }

  @Override
  public void close() {}
}
