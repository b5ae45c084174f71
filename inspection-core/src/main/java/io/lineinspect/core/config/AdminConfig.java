package io.lineinspect.core.config;

import java.util.List;

/**
 * The admin HTTP endpoint: Prometheus {@code /metrics}, {@code /health}, {@code /ready}, the model
 * lifecycle ({@code /models…}); who may do what: {@code docs/security.md#admin-roles}.
 *
 * <p>Three roles, each with its own credential (a bearer token): {@code engineer} (model
 * operations; {@code token} / {@code tokenFile}, the token of earlier versions), {@code operator}
 * ({@code operatorTokenFile}) and {@code viewer} ({@code viewerTokenFile}). A role includes the
 * rights of the roles below it. The files are read (and a missing one created) when the endpoint
 * starts.
 *
 * @param enabled serve it (default true)
 * @param host address to bind (default 127.0.0.1: reachable from this machine only; a Prometheus
 *     server elsewhere needs the line network's address)
 * @param port TCP port (default 7601; 0 picks a free port)
 * @param token the engineer's credential, carried as {@code Authorization: Bearer <token>}; prefer
 *     {@code tokenFile} (a token in a config file is easy to leak). At least 16 characters
 * @param tokenFile file holding the engineer's token, relative to the install directory (default
 *     {@code var/admin.token}); created with a random token, readable by its owner only, when
 *     missing and no {@code token} is given
 * @param operatorTokenFile file holding the operator's token (absent: no operator credential);
 *     created like {@code tokenFile} when missing
 * @param viewerTokenFile file holding the viewer's token (absent: no viewer credential); created
 *     like {@code tokenFile} when missing
 * @param openReads who may read {@code /metrics}, {@code /health} and {@code /ready} without a
 *     credential: {@code loopback} (default: clients on this machine), {@code anywhere} (any client
 *     that reaches the port, as before) or {@code nowhere} (every read needs at least viewer)
 * @param tls HTTPS on the admin port ({@link AdminTlsConfig}); absent = plain HTTP
 */
public record AdminConfig(
    Boolean enabled,
    String host,
    Integer port,
    String token,
    String tokenFile,
    String operatorTokenFile,
    String viewerTokenFile,
    String openReads,
    AdminTlsConfig tls) {
  /** The values of {@link #openReads}. */
  public static final List<String> OPEN_READS = List.of("loopback", "anywhere", "nowhere");

  public AdminConfig {
    enabled = enabled == null || enabled;
    host = Check.text("admin.host", host, "127.0.0.1");
    port = Check.intIn("admin.port", port, 7601, 0, 65_535);
    if (token != null && token.strip().length() < 16) {
      throw new ConfigException(
          "admin.token: must be at least 16 characters (or leave it out and use admin.tokenFile)");
    }
    tokenFile = Check.text("admin.tokenFile", tokenFile, "var/admin.token");
    operatorTokenFile = IngestTlsConfig.path("admin.operatorTokenFile", operatorTokenFile);
    viewerTokenFile = IngestTlsConfig.path("admin.viewerTokenFile", viewerTokenFile);
    openReads =
        Check.oneOf("admin.openReads", openReads, "loopback", OPEN_READS.toArray(String[]::new));
    tls = tls == null ? AdminTlsConfig.disabled() : AdminTlsConfig.checkComplete(tls);
  }

  public AdminConfig(Boolean enabled, String host, Integer port) {
    this(enabled, host, port, null, null, null, null, null, null);
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null, null, null);
  }

  /** The same settings on another port (the demo and tests use 0). */
  public AdminConfig onPort(int other) {
    return new AdminConfig(
        enabled, host, other, token, tokenFile, operatorTokenFile, viewerTokenFile, openReads, tls);
  }

  /** The same settings with these role credential files (tests). */
  public AdminConfig withRoleFiles(String engineer, String operator, String viewer) {
    return new AdminConfig(enabled, host, port, null, engineer, operator, viewer, openReads, tls);
  }

  /** The same settings with reads open as {@code open} says (tests). */
  public AdminConfig withOpenReads(String open) {
    return new AdminConfig(
        enabled, host, port, token, tokenFile, operatorTokenFile, viewerTokenFile, open, tls);
  }

  /** The same settings with HTTPS as {@code https} says (tests). */
  public AdminConfig withTls(AdminTlsConfig https) {
    return new AdminConfig(
        enabled,
        host,
        port,
        token,
        tokenFile,
        operatorTokenFile,
        viewerTokenFile,
        openReads,
        https);
  }
}
