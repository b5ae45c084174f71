package io.lineinspect.core.config;

/**
 * The admin HTTP endpoint: Prometheus {@code /metrics}, {@code /health}, {@code /ready}.
 *
 * @param enabled serve it (default true)
 * @param host address to bind (default 127.0.0.1: reachable from this machine only; a Prometheus
 *     server elsewhere needs the line network's address)
 * @param port TCP port (default 7601; 0 picks a free port)
 */
public record AdminConfig(Boolean enabled, String host, Integer port) {
  public AdminConfig {
    enabled = enabled == null || enabled;
    host = Check.text("admin.host", host, "127.0.0.1");
    port = Check.intIn("admin.port", port, 7601, 0, 65_535);
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null, null, null);
  }

  /** The same settings on another port (the demo and tests use 0). */
  public AdminConfig onPort(int other) {
    return new AdminConfig(enabled, host, other);
  }
}
