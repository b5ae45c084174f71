package io.lineinspect.core.config;

import java.util.List;

/**
 * TLS on the camera port ({@code ingest.tls}; posture: {@code docs/security.md#tls-on-the-camera
 * -port}, what a client does: {@code docs/protocol.md} §1.1). Protocol v1 runs unchanged inside the
 * TLS connection. The files are read, and their contents checked, when the camera server is built
 * (module {@code camera-adapters}, {@code CameraTls}), relative to the install directory.
 *
 * @param enabled {@code true}: the camera port speaks TLS only (default {@code false}: plain TCP)
 * @param certFile the service's certificate chain, PEM, leaf first; required when enabled
 * @param keyFile the private key of the leaf, PEM, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY});
 *     required when enabled
 * @param clientCaFile CA certificates, PEM: when given, every client must present a certificate
 *     issued by one of them (mutual TLS); absent = no client certificate asked for
 * @param protocols the TLS versions offered, of {@code TLSv1.3} and {@code TLSv1.2} (default {@code
 *     [TLSv1.3]})
 * @param handshakeTimeoutMs a TLS handshake not complete this long after connecting fails (counted
 *     as {@code TLS_HANDSHAKE}); the HELLO must still be complete within {@code
 *     ingest.helloTimeoutMs} of connecting, handshake included (default 1000; 10..3600000)
 */
public record IngestTlsConfig(
    Boolean enabled,
    String certFile,
    String keyFile,
    String clientCaFile,
    List<String> protocols,
    Integer handshakeTimeoutMs) {
  /** The TLS versions {@link #protocols} may name. */
  public static final List<String> KNOWN_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  public IngestTlsConfig {
    enabled = enabled != null && enabled;
    certFile = path("ingest.tls.certFile", certFile);
    keyFile = path("ingest.tls.keyFile", keyFile);
    clientCaFile = path("ingest.tls.clientCaFile", clientCaFile);
    protocols = protocols("ingest.tls.protocols", protocols);
    handshakeTimeoutMs =
        Check.intIn("ingest.tls.handshakeTimeoutMs", handshakeTimeoutMs, 1_000, 10, 3_600_000);
  }

  /**
   * Checks that an enabled configuration names its files. Called by {@link IngestConfig} once the
   * loader has read the whole section, not by this record's constructor: a section holding a
   * misspelt {@code certfile} must be reported as that unknown key, and the loader reports unknown
   * keys only after the record was built.
   */
  static IngestTlsConfig checkComplete(IngestTlsConfig tls) {
    if (tls.enabled && tls.certFile == null) {
      throw new ConfigException(
          "ingest.tls.certFile: required with ingest.tls.enabled: true (the service's certificate"
              + " chain, PEM)");
    }
    if (tls.enabled && tls.keyFile == null) {
      throw new ConfigException(
          "ingest.tls.keyFile: required with ingest.tls.enabled: true (the certificate's private"
              + " key, PEM PKCS#8)");
    }
    return tls;
  }

  /** A path key's value: absent (null) or not blank. Shared with {@link AdminTlsConfig}. */
  static String path(String key, String value) {
    if (value != null && value.isBlank()) {
      throw new ConfigException(key + ": empty path");
    }
    return value;
  }

  /**
   * The TLS versions of the key {@code key}: default {@code [TLSv1.3]}, else some of {@link
   * #KNOWN_PROTOCOLS}, each once. Shared with {@link AdminTlsConfig}.
   */
  static List<String> protocols(String key, List<String> protocols) {
    if (protocols == null) {
      return List.of("TLSv1.3");
    }
    if (protocols.isEmpty()) {
      throw new ConfigException(key + ": empty: name at least one of " + KNOWN_PROTOCOLS);
    }
    for (String p : protocols) {
      if (!KNOWN_PROTOCOLS.contains(p)) {
        throw new ConfigException(
            key + ": expected some of " + KNOWN_PROTOCOLS + ", got '" + p + "'");
      }
    }
    if (protocols.stream().distinct().count() != protocols.size()) {
      throw new ConfigException(key + ": a protocol is named twice: " + protocols);
    }
    return List.copyOf(protocols);
  }

  /** Whether client certificates are required (mutual TLS). */
  public boolean mutual() {
    return enabled && clientCaFile != null;
  }

  /** TLS off: the camera port is plain TCP (the default). */
  public static IngestTlsConfig disabled() {
    return new IngestTlsConfig(false, null, null, null, null, null);
  }

  /** TLS on with these files (relative to the install directory), the other keys at defaults. */
  public static IngestTlsConfig of(String certFile, String keyFile, String clientCaFile) {
    return new IngestTlsConfig(true, certFile, keyFile, clientCaFile, null, null);
  }
}
