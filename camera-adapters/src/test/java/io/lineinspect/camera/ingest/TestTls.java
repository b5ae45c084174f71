package io.lineinspect.camera.ingest;

import io.lineinspect.core.config.IngestTlsConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The committed TLS test fixtures ({@code src/test/resources/io/lineinspect/camera/ingest/tls/},
 * made by {@code make-certs.sh} there): the service's side as {@code ingest.tls} settings, the
 * cameras' side as {@link SSLContext}s for {@link TestCamera#overTls}.
 */
final class TestTls {
  private TestTls() {}

  /** A fixture file by name ({@code ca.pem}, {@code server.key}, …), as an absolute path. */
  static Path file(String name) {
    try {
      return Path.of(TestTls.class.getResource("tls/" + name).toURI());
    } catch (Exception e) {
      throw new AssertionError("TLS test fixture tls/" + name + " is missing", e);
    }
  }

  /** TLS with the server certificate for 127.0.0.1; {@code mutual}: client certs from the CA. */
  static IngestTlsConfig server(boolean mutual) {
    return IngestTlsConfig.of(
        file("server.pem").toString(),
        file("server.key").toString(),
        mutual ? file("ca.pem").toString() : null);
  }

  /**
   * A camera's TLS context trusting the test CA, presenting the client certificate {@code client}
   * ({@code client}, {@code client2}, {@code other-client}) or none (null).
   */
  static SSLContext camera(String client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", certificates("ca.pem")[0]);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (client != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] pw = "test".toCharArray();
        keys.setKeyEntry("camera", key(client + ".key"), pw, certificates(client + ".pem"));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pw);
      }
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return c;
    } catch (Exception e) {
      throw new AssertionError("cannot build the camera's TLS context: " + e, e);
    }
  }

  static Certificate[] certificates(String name) throws Exception {
    return CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file(name))))
        .toArray(Certificate[]::new);
  }

  private static PrivateKey key(String name) throws Exception {
    String pem = Files.readString(file(name), StandardCharsets.US_ASCII);
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }
}
