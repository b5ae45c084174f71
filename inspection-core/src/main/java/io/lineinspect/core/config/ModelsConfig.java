package io.lineinspect.core.config;

/**
 * The model lifecycle: where model versions live, and how a new one is brought onto a running line
 * (see {@code docs/models.md}).
 *
 * @param registry directory of models, {@code <registry>/<name>/<version>/manifest.yaml}; relative
 *     paths resolve against the install directory (default {@code models})
 * @param state file recording which version is served and the versions before it (for rollback and
 *     restarts); relative to the install directory (default {@code var/models/state.json})
 * @param warmupDutyCycle a candidate's warm-up and gate take at most this share of one core, so the
 *     served model keeps its speed (default 0.5)
 * @param besideThreads native (PyTorch intra-op) threads for model work beside the line: a
 *     candidate's loading, warm-up and golden-set check, and the shadow model; the served model
 *     keeps its own (default 1: on a small CPU the line keeps the other cores)
 * @param switchTimeoutMs how long to wait for the inference thread to take a new model between two
 *     batches before giving up and keeping the served one (default 5000)
 * @param gate the golden-set gate
 * @param shadow shadow-mode settings
 */
public record ModelsConfig(
    String registry,
    String state,
    Double warmupDutyCycle,
    Integer besideThreads,
    Integer switchTimeoutMs,
    ModelGateConfig gate,
    ShadowConfig shadow) {
  public ModelsConfig {
    registry = Check.text("models.registry", registry, "models");
    state = Check.text("models.state", state, "var/models/state.json");
    warmupDutyCycle = Check.doubleIn("models.warmupDutyCycle", warmupDutyCycle, 0.5, 0.01, 1.0);
    besideThreads = Check.intIn("models.besideThreads", besideThreads, 1, 0, 1024);
    switchTimeoutMs = Check.intIn("models.switchTimeoutMs", switchTimeoutMs, 5000, 100, 600_000);
    gate = gate == null ? ModelGateConfig.defaults() : gate;
    shadow = shadow == null ? ShadowConfig.defaults() : shadow;
  }

  public static ModelsConfig defaults() {
    return new ModelsConfig(null, null, null, null, null, null, null);
  }
}
