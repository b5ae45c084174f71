package io.lineinspect.core.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code /metrics} exports per camera ({@code docs/operations.md}, "Camera series"). Every
 * camera id adds series that stay until a restart, and a camera id is whatever a peer sends in its
 * HELLO: so only the cameras the configuration names, and at most {@code maxCameraSeries} others
 * (the first ones seen), get series of their own; every other camera is counted under {@code
 * camera="other"}.
 *
 * @param cameras camera ids that always get their own series (default none); the ids in the {@code
 *     cameras:} slot maps of Modbus outputs count as named too
 * @param maxCameraSeries unnamed camera ids that get their own series, first come first served
 *     (default {@value #DEFAULT_MAX_CAMERA_SERIES}; 0 = every unnamed camera is {@code other})
 */
public record MetricsConfig(List<String> cameras, Integer maxCameraSeries) {
  /** The label under which every camera without series of its own is counted. */
  public static final String OTHER = "other";

  static final int DEFAULT_MAX_CAMERA_SERIES = 64;

  public MetricsConfig {
    Set<String> seen = new LinkedHashSet<>();
    for (String id : cameras == null ? List.<String>of() : cameras) {
      if (id == null || id.isBlank()) {
        throw new ConfigException("metrics.cameras: a camera id is empty");
      }
      if (OTHER.equals(id)) {
        throw new ConfigException(
            "metrics.cameras: '"
                + OTHER
                + "' is the label of the cameras without series of their own; it cannot be a"
                + " camera id here");
      }
      if (!seen.add(id)) {
        throw new ConfigException("metrics.cameras: camera id '" + id + "' is listed twice");
      }
    }
    cameras = List.copyOf(seen);
    maxCameraSeries =
        Check.intIn(
            "metrics.maxCameraSeries", maxCameraSeries, DEFAULT_MAX_CAMERA_SERIES, 0, 10_000);
  }

  public static MetricsConfig defaults() {
    return new MetricsConfig(null, null);
  }
}
