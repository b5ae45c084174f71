package io.lineinspect.core.config;

/**
 * The admin HTTP endpoint: Prometheus {@code /metrics}, {@code /health}, {@code /ready}.
 *
 * @param enabled serve it (default true)
 * @param host address to bind (default 127.0.0.1: reachable from this machine only; a Prometheus
 *     server elsewhere needs the line network's address)
 * @param port TCP port (default 7601; 0 picks a free port)
 * @param token the secret that model changes over HTTP ({@code /models/...}) must carry as {@code
 *     Authorization: Bearer <token>}; prefer {@code tokenFile} (a token in a config file is easy to
 *     leak). At least 16 characters
 * @param tokenFile file holding the token, relative to the install directory (default {@code
 *     var/admin.token}); created with a random token, readable by its owner only, when missing and
 *     no {@code token} is given
 */
public record AdminConfig(
    Boolean enabled, String host, Integer port, String token, String tokenFile) {
  public AdminConfig {
    enabled = enabled == null || enabled;
    host = Check.text("admin.host", host, "127.0.0.1");
    port = Check.intIn("admin.port", port, 7601, 0, 65_535);
    if (token != null && token.strip().length() < 16) {
      throw new ConfigException(
          "admin.token: must be at least 16 characters (or leave it out and use admin.tokenFile)");
    }
    tokenFile = Check.text("admin.tokenFile", tokenFile, "var/admin.token");
  }

  public AdminConfig(Boolean enabled, String host, Integer port) {
    this(enabled, host, port, null, null);
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null, null, null);
  }

  /** The same settings on another port (the demo and tests use 0). */
  public AdminConfig onPort(int other) {
    return new AdminConfig(enabled, host, other, token, tokenFile);
  }
}
