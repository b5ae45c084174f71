package io.lineinspect.core.config;

/**
 * The persistent "unfit image" alarm of a camera (see {@code docs/operations.md}): every unfit
 * frame already fails safe on its own; this tells people that a camera keeps sending frames that
 * cannot be judged (a lens cap, a dead light), so the line is rejecting everything it sees.
 *
 * @param alarmAfter consecutive UNFIT_IMAGE verdicts of one camera that raise its alarm (default
 *     30, one second at 30 frames/s)
 * @param clearAfter consecutive judged verdicts of that camera that clear it again (default 30)
 */
public record QualityAlarmConfig(Integer alarmAfter, Integer clearAfter) {
  public QualityAlarmConfig {
    alarmAfter = Check.intIn("quality.alarmAfter", alarmAfter, 30, 1, 1_000_000);
    clearAfter = Check.intIn("quality.clearAfter", clearAfter, 30, 1, 1_000_000);
  }

  public static QualityAlarmConfig defaults() {
    return new QualityAlarmConfig(null, null);
  }
}
