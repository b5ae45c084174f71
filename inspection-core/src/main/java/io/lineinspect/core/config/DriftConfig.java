package io.lineinspect.core.config;

/**
 * Drift monitoring: the distributions of the model's scores and of simple image statistics,
 * compared with a baseline captured when the service (or a model) starts (see {@code
 * docs/operations.md}).
 *
 * @param enabled monitor drift (default true)
 * @param sampleEvery look at every n-th frame of each camera, by frame number (default 4)
 * @param baselineSamples samples that make the baseline (default 500)
 * @param windowSamples the most recent samples compared with it (default 500)
 * @param psiAlarm population stability index above which the drift alarm is raised (default 0.25,
 *     the usual "significant shift")
 */
public record DriftConfig(
    Boolean enabled,
    Integer sampleEvery,
    Integer baselineSamples,
    Integer windowSamples,
    Double psiAlarm) {
  public DriftConfig {
    enabled = enabled == null || enabled;
    sampleEvery = Check.intIn("drift.sampleEvery", sampleEvery, 4, 1, 1_000_000);
    baselineSamples = Check.intIn("drift.baselineSamples", baselineSamples, 500, 50, 1_000_000);
    windowSamples = Check.intIn("drift.windowSamples", windowSamples, 500, 50, 1_000_000);
    psiAlarm = Check.doubleIn("drift.psiAlarm", psiAlarm, 0.25, 0.01, 10);
  }

  public static DriftConfig defaults() {
    return new DriftConfig(null, null, null, null, null);
  }
}
