package io.lineinspect.core.config;

/**
 * How one camera proves its id in HELLO ({@code ingest.cameras.<id>}; protocol: {@code
 * docs/protocol.md} §4.1, posture: {@code docs/security.md}). Exactly one of the three, and
 * optionally the client certificate the camera must connect with.
 *
 * @param secret the camera's secret as hex digits, at least 32 (16 bytes): the HELLO token must be
 *     exactly these bytes
 * @param secretFile a file holding the secret as hex digits (surrounding whitespace ignored),
 *     relative to the install directory; keep it readable by the service only
 * @param tokenless {@code true}: this camera may connect without a token (a device that cannot send
 *     one); accepted with a warning at start and on each connect
 * @param certificateCn optional: the subject CN of the client certificate this camera connects with
 *     (mutual TLS, {@code ingest.tls.clientCaFile}); a HELLO for this id over a connection whose
 *     verified client certificate has another CN (or none) is refused like a wrong token
 */
public record CameraCredentialConfig(
    String secret, String secretFile, Boolean tokenless, String certificateCn) {
  /** Fewest hex digits of a secret: 16 bytes. */
  public static final int MIN_SECRET_HEX = 32;

  /** Most hex digits of a secret: 1024 bytes, the longest token a HELLO carries (protocol §4.1). */
  public static final int MAX_SECRET_HEX = 2048;

  /**
   * Refuses several of the three at once and a malformed secret. None of the three is refused by
   * {@link #checkGiven} instead, once the loader has read the whole entry: an entry holding only a
   * misspelt key must be reported as that unknown key, and the loader reports unknown keys only
   * after the record was built.
   */
  public CameraCredentialConfig {
    tokenless = tokenless != null && tokenless;
    int given = (secret != null ? 1 : 0) + (secretFile != null ? 1 : 0) + (tokenless ? 1 : 0);
    if (given > 1) {
      throw new ConfigException(
          "give exactly one of secret, secretFile or tokenless: true (got several)");
    }
    if (secret != null) {
      checkHex("secret", secret);
    }
    if (secretFile != null && secretFile.isBlank()) {
      throw new ConfigException("secretFile: empty path");
    }
    if (certificateCn != null && certificateCn.isBlank()) {
      throw new ConfigException("certificateCn: empty");
    }
  }

  /** A credential not bound to a client certificate. */
  public CameraCredentialConfig(String secret, String secretFile, Boolean tokenless) {
    this(secret, secretFile, tokenless, null);
  }

  /**
   * Checks that one of the three was given ({@code null} counts as none).
   *
   * @param key the entry's key, {@code ingest.cameras.<id>}, named in the message
   */
  public static void checkGiven(String key, CameraCredentialConfig c) {
    if (c == null || (c.secret == null && c.secretFile == null && !c.tokenless)) {
      throw new ConfigException(
          key + ": give exactly one of secret, secretFile or tokenless: true (got none)");
    }
  }

  /**
   * Checks that {@code hex} is an even number of {@value #MIN_SECRET_HEX} to {@value
   * #MAX_SECRET_HEX} hex digits; the message names {@code key} but never the value.
   */
  public static void checkHex(String key, String hex) {
    if (hex.length() > MAX_SECRET_HEX) {
      throw new ConfigException(
          key
              + ": at most "
              + MAX_SECRET_HEX
              + " hex digits (1024 bytes, the longest HELLO token); got "
              + hex.length()
              + " characters");
    }
    if (hex.length() < MIN_SECRET_HEX || hex.length() % 2 != 0 || !hex.matches("[0-9a-fA-F]+")) {
      throw new ConfigException(
          key
              + ": must be an even number of at least "
              + MIN_SECRET_HEX
              + " hex digits (16 bytes); got "
              + hex.length()
              + " characters");
    }
  }
}
