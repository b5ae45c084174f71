package io.lineinspect.camera.actuator;

import io.lineinspect.core.config.ActuatorOutputConfig;
import io.lineinspect.core.config.Check;

/**
 * A dry-run output: logs each reject when it would fire, drives nothing. For shadowing a new line
 * before its actuator is switched on.
 *
 * @param name output name (default {@code log})
 * @param verdicts also log every verdict as it is decided, not only the rejects (default false)
 */
public record LogOutputConfig(String name, Boolean verdicts) implements ActuatorOutputConfig {
  public LogOutputConfig {
    name = Check.text("name", name, "log");
    verdicts = verdicts != null && verdicts;
  }
}
