package io.lineinspect.core.inference;

import java.util.Objects;

/**
 * Identity of the model that judged a frame, recorded with every verdict (invariant 4). Immutable
 * and shared: one instance per loaded model version, never one per frame.
 *
 * @param name model name, e.g. {@code bracket-defects}
 * @param version model version, e.g. {@code 3}
 * @param sha256 hex SHA-256 of the model file, or {@code "builtin"} for code-defined backends
 * @param threshold defect score at or above which the part FAILs
 */
public record ModelInfo(String name, String version, String sha256, float threshold) {
  public ModelInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(sha256, "sha256");
    if (!(threshold >= 0f && threshold <= 1f)) {
      throw new IllegalArgumentException("threshold must be within 0..1, got " + threshold);
    }
  }

  /** {@code name@version}, as shown in logs and summaries. */
  public String id() {
    return name + "@" + version;
  }
}
