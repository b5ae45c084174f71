package io.lineinspect.core.config;

/**
 * The builtin backend: a local-contrast defect heuristic with no model file.
 *
 * @param threshold defect score at or above which a part FAILs (default 0.5)
 * @param maxBatch largest batch it accepts (default 64)
 */
public record BuiltinBackendConfig(Double threshold, Integer maxBatch) {
  public BuiltinBackendConfig {
    threshold = Check.doubleIn("inference.builtin.threshold", threshold, 0.5, 0.0, 1.0);
    maxBatch = Check.intIn("inference.builtin.maxBatch", maxBatch, 64, 1, 1024);
  }

  public static BuiltinBackendConfig defaults() {
    return new BuiltinBackendConfig(null, null);
  }
}
