package io.lineinspect.core.config;

/**
 * The golden-set gate a candidate model must pass before it is served (see {@code docs/models.md}).
 *
 * @param minGoldenAccuracy share of the model's golden set (pinned labelled images shipped in its
 *     directory) the candidate must judge correctly (default 0.98)
 * @param requireGolden refuse a candidate that ships no golden set (default true)
 * @param recentFrames newest archived line images judged by both the served model and the
 *     candidate; 0 = none (default 200)
 * @param minRecentAgreement share of those on which the candidate must give the served model's
 *     verdict (default 0.95)
 * @param atStartup before the service accepts cameras, the model it serves at start judges its own
 *     golden set (when its manifest names one) at full speed and must reach {@code
 *     minGoldenAccuracy}, or start-up fails (default true)
 */
public record ModelGateConfig(
    Double minGoldenAccuracy,
    Boolean requireGolden,
    Integer recentFrames,
    Double minRecentAgreement,
    Boolean atStartup) {
  public ModelGateConfig {
    minGoldenAccuracy =
        Check.doubleIn("models.gate.minGoldenAccuracy", minGoldenAccuracy, 0.98, 0.0, 1.0);
    requireGolden = requireGolden == null || requireGolden;
    recentFrames = Check.intIn("models.gate.recentFrames", recentFrames, 200, 0, 100_000);
    minRecentAgreement =
        Check.doubleIn("models.gate.minRecentAgreement", minRecentAgreement, 0.95, 0.0, 1.0);
    atStartup = atStartup == null || atStartup;
  }

  public static ModelGateConfig defaults() {
    return new ModelGateConfig(null, null, null, null, null);
  }
}
