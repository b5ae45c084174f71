package io.lineinspect.core.config;

import java.util.List;

/**
 * HTTPS on the admin port ({@code admin.tls}; posture: {@code docs/security.md#https-on-the-admin
 * -port}). The same keys, formats and checks as {@link IngestTlsConfig} (the camera port's TLS),
 * without client certificates: admin clients prove their role with a credential ({@code
 * docs/security.md#admin-roles}). The files are read when the admin endpoint is built (module
 * {@code inspection-app}, through {@code io.lineinspect.core.tls.PemTls}), relative to the install
 * directory.
 *
 * @param enabled {@code true}: the admin port speaks HTTPS only (default {@code false}: plain HTTP)
 * @param certFile the service's certificate chain, PEM, leaf first; required when enabled
 * @param keyFile the private key of the leaf, PEM, unencrypted PKCS#8; required when enabled
 * @param protocols the TLS versions offered, of {@code TLSv1.3} and {@code TLSv1.2} (default {@code
 *     [TLSv1.3]})
 */
public record AdminTlsConfig(
    Boolean enabled, String certFile, String keyFile, List<String> protocols) {
  public AdminTlsConfig {
    enabled = enabled != null && enabled;
    certFile = IngestTlsConfig.path("admin.tls.certFile", certFile);
    keyFile = IngestTlsConfig.path("admin.tls.keyFile", keyFile);
    protocols = IngestTlsConfig.protocols("admin.tls.protocols", protocols);
  }

  /**
   * Checks that an enabled configuration names its files; called by {@link AdminConfig} after the
   * loader read the section (see {@link IngestTlsConfig#checkComplete}).
   */
  static AdminTlsConfig checkComplete(AdminTlsConfig tls) {
    if (tls.enabled && tls.certFile == null) {
      throw new ConfigException(
          "admin.tls.certFile: required with admin.tls.enabled: true (the service's certificate"
              + " chain, PEM)");
    }
    if (tls.enabled && tls.keyFile == null) {
      throw new ConfigException(
          "admin.tls.keyFile: required with admin.tls.enabled: true (the certificate's private"
              + " key, PEM PKCS#8)");
    }
    return tls;
  }

  /** HTTPS off: plain HTTP (the default). */
  public static AdminTlsConfig disabled() {
    return new AdminTlsConfig(false, null, null, null);
  }

  /** HTTPS on with these files (relative to the install directory), TLS 1.3. */
  public static AdminTlsConfig of(String certFile, String keyFile) {
    return new AdminTlsConfig(true, certFile, keyFile, null);
  }
}
