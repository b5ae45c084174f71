package io.lineinspect.camera.auth;

import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may speak for a camera: each configured camera id with its secret (or the permission to
 * connect without one). A HELLO is accepted when its id is configured and its token equals the id's
 * secret, compared in constant time; an unknown id and a wrong token get the same answer, so a
 * stranger learns neither which ids exist nor how close a guess was. Without configured cameras
 * ({@link #open()}) every id is accepted and the token ignored (protocol v1 before credentials).
 * Immutable; any thread.
 */
public final class CameraAuth {
  /** The answer to one HELLO. */
  public enum Decision {
    /**
     * Configured id, right token or (tokenless and bound) the right client certificate, or no
     * cameras configured at all.
     */
    ACCEPTED,
    /** Configured {@code tokenless} id, no token: accepted, with a warning. */
    ACCEPTED_WITHOUT_TOKEN,
    /** Unknown id or wrong token: AUTHENTICATION_FAILED, connection closed. */
    REFUSED
  }

  /** Marks a tokenless camera in {@link #secrets}. */
  private static final byte[] TOKENLESS = new byte[0];

  /** Compared against when the id is unknown, so both refusals take the same time. */
  private static final byte[] DUMMY = new byte[32];

  private final Map<String, byte[]> secrets;
  // The client certificate's subject CN each bound camera must connect with.
  private final Map<String, String> certificateCns;

  private CameraAuth(Map<String, byte[]> secrets, Map<String, String> certificateCns) {
    this.secrets = secrets;
    this.certificateCns = certificateCns;
  }

  /** No cameras configured: every id accepted, tokens ignored. */
  public static CameraAuth open() {
    return new CameraAuth(null, Map.of());
  }

  /**
   * From {@code ingest.cameras}; {@code secretFile}s are read now, relative to {@code home}.
   *
   * @throws ConfigException naming the key when a secret file is missing or malformed
   */
  public static CameraAuth of(Map<String, CameraCredentialConfig> cameras, Path home) {
    if (cameras == null) {
      return open();
    }
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    Map<String, String> cns = new LinkedHashMap<>();
    cameras.forEach(
        (id, c) -> {
          String key = "ingest.cameras." + id;
          CameraCredentialConfig.checkGiven(key, c);
          if (c.certificateCn() != null) {
            cns.put(id, c.certificateCn());
          }
          if (c.tokenless()) {
            secrets.put(id, TOKENLESS);
          } else if (c.secret() != null) {
            secrets.put(id, HexFormat.of().parseHex(c.secret()));
          } else {
            Path file = home.resolve(c.secretFile());
            String hex;
            try {
              hex = Files.readString(file, StandardCharsets.US_ASCII).strip();
            } catch (IOException e) {
              throw new ConfigException(
                  key + ".secretFile: cannot read " + file + ": " + e.getMessage(), e);
            }
            CameraCredentialConfig.checkHex(key + ".secretFile (" + file + ")", hex);
            secrets.put(id, HexFormat.of().parseHex(hex));
          }
        });
    return new CameraAuth(Map.copyOf(secrets), Map.copyOf(cns));
  }

  /** Whether some camera is bound to a client certificate ({@code certificateCn}). */
  public boolean bindsCertificates() {
    return !certificateCns.isEmpty();
  }

  /** Whether cameras are configured (else every id is accepted). */
  public boolean enforced() {
    return secrets != null;
  }

  /** How many camera ids are configured (0 when not {@link #enforced()}). */
  public int cameras() {
    return secrets == null ? 0 : secrets.size();
  }

  /** The configured ids that may connect without a token. */
  public java.util.List<String> tokenlessCameras() {
    if (secrets == null) {
      return java.util.List.of();
    }
    return secrets.entrySet().stream()
        .filter(e -> e.getValue() == TOKENLESS)
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  /** The answer to a HELLO from {@code cameraId} with {@code token}, no client certificate. */
  public Decision check(String cameraId, byte[] token) {
    return check(cameraId, token, null);
  }

  /**
   * The answer to a HELLO from {@code cameraId} with {@code token} over a connection whose verified
   * client certificate has subject CN {@code peerCn} (null: none). A camera bound to a certificate
   * ({@code certificateCn}) is refused over any other, with the same answer as a wrong token.
   */
  public Decision check(String cameraId, byte[] token, String peerCn) {
    if (secrets == null) {
      return Decision.ACCEPTED;
    }
    String bound = certificateCns.get(cameraId);
    if (bound != null && !bound.equals(peerCn)) {
      MessageDigest.isEqual(DUMMY, token); // the same work as a wrong token
      return Decision.REFUSED;
    }
    byte[] secret = secrets.get(cameraId);
    if (secret == TOKENLESS) {
      if (token.length != 0) {
        return Decision.REFUSED;
      }
      // Its certificate proves a bound camera; an unbound one is merely allowed in.
      return bound != null ? Decision.ACCEPTED : Decision.ACCEPTED_WITHOUT_TOKEN;
    }
    boolean known = secret != null;
    boolean equal = MessageDigest.isEqual(known ? secret : DUMMY, token);
    return known && equal ? Decision.ACCEPTED : Decision.REFUSED;
  }
}
