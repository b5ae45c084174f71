package io.lineinspect.app.admin;

import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ConfigException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Maps an admin request to the {@link Role} it speaks for and decides whether that role may use a
 * route: the one access check of the admin endpoint ({@link AdminServer}) and of anything it will
 * serve later (an operator dashboard). A request proves a role with {@code Authorization: Bearer
 * <token>}, the content of that role's credential file ({@code admin.tokenFile} for engineer,
 * {@code admin.operatorTokenFile}, {@code admin.viewerTokenFile}). Tokens are compared in constant
 * time, against every role's token whatever matches first, so the answer's timing tells nothing. A
 * read of the monitoring probes ({@code /metrics}, {@code /health}, {@code /ready}) needs no
 * credential where {@code admin.openReads} says so.
 *
 * <p>Immutable; any thread (the admin HTTP threads). Never logs or returns a token.
 */
public final class AdminAuth {
  /** What a request may do on a route. */
  public enum Decision {
    /** Served. */
    ALLOWED,
    /** 401: no credential, or one that is no role's. */
    UNAUTHENTICATED,
    /** 403: a role's right credential, but the route needs a higher role. */
    FORBIDDEN
  }

  /**
   * The outcome of {@link #check}.
   *
   * @param role the role the credential proved, or null (none, wrong, or an open read without one)
   */
  public record Access(Decision decision, Role role) {}

  private final Map<Role, byte[]> tokens;
  private final String openReads;

  AdminAuth(Map<Role, String> tokens, String openReads) {
    Map<Role, byte[]> t = new EnumMap<>(Role.class);
    Map<String, Role> seen = new java.util.HashMap<>();
    tokens.forEach(
        (role, token) -> {
          if (token == null) {
            return;
          }
          Role other = seen.putIfAbsent(token, role);
          if (other != null) {
            throw new ConfigException(
                "admin: the "
                    + role.label()
                    + " and the "
                    + other.label()
                    + " credentials are the same token; give each role its own");
          }
          t.put(role, token.getBytes(StandardCharsets.UTF_8));
        });
    this.tokens = t;
    this.openReads = openReads;
  }

  /**
   * Reads (and where missing creates, random and owner-only) each role's credential file of {@code
   * config}.
   *
   * @throws ConfigException naming the key of a file that cannot be read or holds too short a
   *     token, or when two roles share one token
   */
  public static AdminAuth of(AdminConfig config, Path home) {
    Map<Role, String> t = new EnumMap<>(Role.class);
    t.put(Role.ENGINEER, AdminToken.resolve(config, home, true));
    if (config.operatorTokenFile() != null) {
      t.put(
          Role.OPERATOR,
          AdminToken.resolveFile(
              "admin.operatorTokenFile", config.operatorTokenFile(), home, true));
    }
    if (config.viewerTokenFile() != null) {
      t.put(
          Role.VIEWER,
          AdminToken.resolveFile("admin.viewerTokenFile", config.viewerTokenFile(), home, true));
    }
    return new AdminAuth(t, config.openReads());
  }

  /** The role whose token {@code authorization} ({@code Bearer <token>}) carries, or null. */
  Role authenticate(String authorization) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return null;
    }
    byte[] presented = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    Role match = null;
    for (Map.Entry<Role, byte[]> e : tokens.entrySet()) {
      // Every role's token is compared, whichever matches: constant time in the match.
      if (MessageDigest.isEqual(e.getValue(), presented)) {
        match = e.getKey();
      }
    }
    return match;
  }

  /**
   * Whether a request may use a route that needs {@code required}.
   *
   * @param openRead the route is a monitoring probe, which {@code admin.openReads} may open
   * @param remote the client's address
   */
  public Access check(String authorization, InetAddress remote, Role required, boolean openRead) {
    Role role = authenticate(authorization);
    if (role == null) {
      if (authorization == null && openRead && open(remote)) {
        return new Access(Decision.ALLOWED, null);
      }
      return new Access(Decision.UNAUTHENTICATED, null);
    }
    return new Access(role.includes(required) ? Decision.ALLOWED : Decision.FORBIDDEN, role);
  }

  private boolean open(InetAddress remote) {
    return switch (openReads) {
      case "anywhere" -> true;
      case "loopback" -> remote != null && remote.isLoopbackAddress();
      default -> false;
    };
  }

  /** The roles that have a credential, for the start-up log (names only). */
  List<Role> roles() {
    return List.copyOf(tokens.keySet());
  }
}
