package io.lineinspect.core.config;

import io.lineinspect.core.quality.QualityLimits;

/**
 * The builtin backend: a local-contrast defect heuristic with no model file.
 *
 * @param threshold defect score at or above which a part FAILs (default 0.5)
 * @param maxBatch largest batch it accepts (default 64)
 * @param quality limits a frame must keep to be judged (fitness check); every limit left out gets
 *     its default ({@link QualityLimits})
 */
public record BuiltinBackendConfig(Double threshold, Integer maxBatch, QualityLimits quality) {
  public BuiltinBackendConfig {
    threshold = Check.doubleIn("inference.builtin.threshold", threshold, 0.5, 0.0, 1.0);
    maxBatch = Check.intIn("inference.builtin.maxBatch", maxBatch, 64, 1, 1024);
    quality = quality == null ? QualityLimits.defaults() : quality;
  }

  public static BuiltinBackendConfig defaults() {
    return new BuiltinBackendConfig(null, null, null);
  }
}
