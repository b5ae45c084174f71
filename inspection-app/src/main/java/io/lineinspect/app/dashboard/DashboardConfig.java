package io.lineinspect.app.dashboard;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;

/**
 * The operator dashboard's section, {@code dashboard} ({@code docs/configuration.md#dashboard},
 * {@code docs/dashboard.md}). The dashboard is served on the admin endpoint and follows its roles
 * and {@code admin.openReads}; these are its own settings. Bound by {@link DashboardConfigModule}.
 *
 * @param enabled serve {@code /dashboard} on the admin endpoint (default true)
 * @param labelsDir where operator labels and copies of their images are kept, relative to the
 *     install directory (default {@code var/labels})
 * @param filmstrip FAIL parts in the reject filmstrip (default 12, 1..100)
 * @param snapshotMs milliseconds between two snapshots (default 500, 200..10000)
 * @param maxClients browsers streaming at once (default 4, 1..8: each holds one admin thread)
 * @param writeIdleSeconds the page forgets a credential that may write after this long without a
 *     write action (default 300, 30..86400)
 */
public record DashboardConfig(
    Boolean enabled,
    String labelsDir,
    Integer filmstrip,
    Integer snapshotMs,
    Integer maxClients,
    Integer writeIdleSeconds) {
  public DashboardConfig {
    enabled = enabled == null || enabled;
    if (labelsDir == null || labelsDir.isBlank()) {
      labelsDir = "var/labels";
    }
    filmstrip = in("dashboard.filmstrip", filmstrip, 12, 1, 100);
    snapshotMs = in("dashboard.snapshotMs", snapshotMs, 500, 200, 10_000);
    maxClients = in("dashboard.maxClients", maxClients, 4, 1, 8);
    writeIdleSeconds = in("dashboard.writeIdleSeconds", writeIdleSeconds, 300, 30, 86_400);
  }

  private static int in(String key, Integer v, int def, int min, int max) {
    if (v == null) {
      return def;
    }
    if (v < min || v > max) {
      throw new ConfigException(key + ": must be " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  /** The defaults: on, {@code var/labels}, 12 parts, 500 ms, 4 browsers, 300 s. */
  public static DashboardConfig defaults() {
    return new DashboardConfig(null, null, null, null, null, null);
  }

  /** The section of {@code config}: as loaded, or the defaults when assembled in code without. */
  public static DashboardConfig of(ServiceConfig config) {
    DashboardConfig c = config.dashboard().as(DashboardConfig.class);
    return c == null ? defaults() : c;
  }

  /** The same settings with another labels directory (tests). */
  public DashboardConfig withLabelsDir(String dir) {
    return new DashboardConfig(enabled, dir, filmstrip, snapshotMs, maxClients, writeIdleSeconds);
  }
}
