package io.lineinspect.core.tls;

import io.lineinspect.core.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS material from PEM files, read and checked once at start-up for every TLS endpoint of the
 * service and its tools: the camera port ({@code ingest.tls}, Netty's {@code SslContext} in {@code
 * CameraTls}), the admin port ({@code admin.tls}, the JDK's HTTPS server) and the clients of the
 * load generator and simulated cameras. A file that is missing, unreadable or invalid, or a key
 * that does not belong to its certificate, is a {@link ConfigException} naming its key (for example
 * {@code ingest.tls.keyFile} or {@code --tls-key}), never the key's content.
 *
 * <p>Stateless; any thread. Pure JDK (JSSE), so the core stays free of Netty.
 */
public final class PemTls {
  private static final System.Logger LOG = System.getLogger(PemTls.class.getName());
  private static final Pattern PEM_KEY =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private PemTls() {}

  /**
   * A certificate chain (leaf first) and the leaf's private key.
   *
   * @param chain at least one certificate
   */
  public record Identity(X509Certificate[] chain, PrivateKey key) {
    /** The leaf: the certificate this identity presents. */
    public X509Certificate leaf() {
      return chain[0];
    }
  }

  /**
   * Reads a service's certificate chain and key and checks that they belong together; warns when
   * the certificate expires within 30 days or is not yet valid.
   *
   * @param section the configuration section, e.g. {@code ingest.tls}: the keys named in errors are
   *     {@code <section>.certFile} and {@code <section>.keyFile}
   * @param peers who will refuse an expired certificate, for the warning ("cameras")
   */
  public static Identity serverIdentity(String section, Path certFile, Path keyFile, String peers) {
    Identity id = identity(section + ".certFile", certFile, section + ".keyFile", keyFile);
    warnIfExpiring(section, id.leaf(), certFile, peers);
    return id;
  }

  /**
   * Reads a certificate chain and its key and checks that they belong together.
   *
   * @param certKey the name of the certificate's key (or option) for errors
   * @param keyKey the name of the private key's key (or option) for errors
   */
  public static Identity identity(String certKey, Path certFile, String keyKey, Path keyFile) {
    X509Certificate[] chain = certificates(certKey, certFile);
    PrivateKey key = privateKey(keyKey, keyFile);
    checkPair(chain[0], key, certKey, keyKey, keyFile);
    return new Identity(chain, key);
  }

  /** Every certificate in a PEM file (at least one). */
  public static X509Certificate[] certificates(String key, Path file) {
    byte[] bytes = read(key, file);
    try {
      List<X509Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))
              .stream()
              .map(X509Certificate.class::cast)
              .toList();
      if (certs.isEmpty()) {
        throw new ConfigException(key + ": no PEM certificate in " + file);
      }
      return certs.toArray(X509Certificate[]::new);
    } catch (GeneralSecurityException e) {
      throw new ConfigException(
          key + ": not a PEM certificate (-----BEGIN CERTIFICATE-----) in " + file + ": " + e, e);
    }
  }

  /** An unencrypted PKCS#8 PEM private key (EC, RSA or Ed25519). */
  public static PrivateKey privateKey(String key, Path file) {
    String pem = new String(read(key, file), StandardCharsets.US_ASCII);
    Matcher m = PEM_KEY.matcher(pem);
    if (!m.find()) {
      String hint =
          pem.contains("ENCRYPTED PRIVATE KEY")
              ? "an encrypted key; the service cannot ask for a password"
              : pem.contains("RSA PRIVATE KEY") || pem.contains("EC PRIVATE KEY")
                  ? "a key in the older RSA/EC format"
                  : "no PEM private key";
      throw new ConfigException(
          key
              + ": expected an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----) in "
              + file
              + ", found "
              + hint
              + " (convert: openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key)");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new ConfigException(key + ": not an EC, RSA or Ed25519 PKCS#8 private key: " + file);
  }

  /** The key must belong to the leaf certificate: sign with one, verify with the other. */
  private static void checkPair(
      X509Certificate leaf, PrivateKey key, String certKey, String keyKey, Path keyFile) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> key.getAlgorithm();
        };
    boolean match;
    try {
      byte[] probe = "pem-tls".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(probe);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(leaf.getPublicKey());
      v.update(probe);
      match = v.verify(signature);
    } catch (GeneralSecurityException e) {
      match = false;
    }
    if (!match) {
      throw new ConfigException(
          keyKey
              + ": "
              + keyFile
              + " is not the private key of the first certificate in "
              + certKey
              + " ("
              + leaf.getSubjectX500Principal().getName()
              + ")");
    }
  }

  private static void warnIfExpiring(
      String section, X509Certificate leaf, Path file, String peers) {
    Instant end = leaf.getNotAfter().toInstant();
    Instant now = Instant.now();
    if (end.isBefore(now.plus(Duration.ofDays(30)))) {
      LOG.log(
          Level.WARNING,
          "{0}.certFile: the service''s certificate in {1} {2} on {3}: {4} will refuse it;"
              + " replace the files and restart (docs/security.md)",
          section,
          file,
          end.isBefore(now) ? "expired" : "expires",
          end,
          peers);
    }
    if (leaf.getNotBefore().toInstant().isAfter(now)) {
      LOG.log(
          Level.WARNING,
          "{0}.certFile: the service''s certificate in {1} is not valid before {2}",
          section,
          file,
          leaf.getNotBefore().toInstant());
    }
  }

  /**
   * A JSSE context presenting {@code identity} (a server's, or a client's for mutual TLS; null:
   * none) and trusting exactly the certificates {@code trusted} (null: the JDK's default trust).
   */
  public static SSLContext context(Identity identity, X509Certificate[] trusted) {
    try {
      KeyManagerFactory kmf = null;
      if (identity != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = new char[0];
        keys.setKeyEntry("identity", identity.key(), password, identity.chain());
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
      }
      TrustManagerFactory tmf = null;
      if (trusted != null) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < trusted.length; i++) {
          trust.setCertificateEntry("trusted-" + i, trusted[i]);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(
          kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(),
          new SecureRandom());
      return c;
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigException("cannot build a TLS context: " + e, e);
    }
  }

  private static byte[] read(String key, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read " + file + ": " + e, e);
    }
  }
}
