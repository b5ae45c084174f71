package io.lineinspect.core.config;

import io.lineinspect.core.decide.Verdict;

/**
 * The line this service instance serves.
 *
 * @param name line name, shown in logs and sent to cameras in HELLO_ACK (required)
 * @param budgetMs time from frame receipt to verdict, in milliseconds (1..10000); required unless
 *     {@code geometry} is given, from which it is then derived
 * @param geometry camera-to-gate distance and belt speed, as an alternative to {@code budgetMs}
 * @param failSafeVerdict verdict for frames that could not be judged (default FAIL = reject)
 */
public record LineConfig(
    String name, Integer budgetMs, LineGeometry geometry, Verdict failSafeVerdict) {
  public LineConfig {
    name = Check.text("line.name", name, null);
    if (budgetMs != null && geometry != null) {
      throw new ConfigException(
          "line.budgetMs: give either budgetMs or geometry, not both (geometry gives "
              + geometry.budgetMs()
              + " ms)");
    }
    if (budgetMs == null && geometry != null) {
      int derived = geometry.budgetMs();
      if (derived < 1 || derived > 10_000) {
        throw new ConfigException(
            "line.geometry: gives a budget of " + derived + " ms; it must be between 1 and 10000");
      }
      budgetMs = derived;
    } else if (budgetMs == null) {
      throw new ConfigException("line.budgetMs: required value is missing (or give line.geometry)");
    }
    budgetMs = Check.intIn("line.budgetMs", budgetMs, null, 1, 10_000);
    failSafeVerdict = failSafeVerdict == null ? Verdict.FAIL : failSafeVerdict;
  }

  /** A line with an explicit budget and no geometry. */
  public LineConfig(String name, Integer budgetMs, Verdict failSafeVerdict) {
    this(name, budgetMs, null, failSafeVerdict);
  }
}
