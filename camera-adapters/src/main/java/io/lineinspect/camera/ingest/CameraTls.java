package io.lineinspect.camera.ingest;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.IngestTlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS on the camera port ({@code ingest.tls}): the server's {@link SslContext} (JDK provider),
 * built once at start-up from PEM files, each read and checked here so that a missing, unreadable
 * or invalid file stops start-up with a message naming its key. Protocol v1 runs unchanged inside
 * the TLS connection; {@link CameraServer} puts {@link #newHandler} first in every connection's
 * pipeline.
 *
 * <p>Immutable; any thread.
 */
public final class CameraTls {
  private static final System.Logger LOG = System.getLogger(CameraTls.class.getName());
  private static final Pattern PEM_KEY =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private final SslContext context;
  private final SslContext warmUpContext;
  private final X509Certificate leaf;
  private final List<String> protocols;
  private final int handshakeTimeoutMs;
  private final boolean mutual;

  private CameraTls(
      SslContext context,
      SslContext warmUpContext,
      X509Certificate leaf,
      List<String> protocols,
      int handshakeTimeoutMs,
      boolean mutual) {
    this.context = context;
    this.warmUpContext = warmUpContext;
    this.leaf = leaf;
    this.protocols = protocols;
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.mutual = mutual;
  }

  /** Plain TCP: no TLS. */
  public static CameraTls off() {
    return new CameraTls(null, null, null, List.of(), 0, false);
  }

  /**
   * From {@code ingest.tls}; the files are read now, relative to {@code home} (the install
   * directory).
   *
   * @throws ConfigException naming the key of a file that is missing, unreadable or invalid, or
   *     {@code ingest.tls} when the files do not make a usable server context (a key that does not
   *     belong to the certificate)
   */
  public static CameraTls of(IngestTlsConfig config, Path home) {
    if (config == null || !config.enabled()) {
      return off();
    }
    X509Certificate[] chain = certificates("ingest.tls.certFile", home.resolve(config.certFile()));
    PrivateKey key = privateKey("ingest.tls.keyFile", home.resolve(config.keyFile()));
    checkPair(chain[0], key, home.resolve(config.keyFile()));
    X509Certificate[] clientCas =
        config.clientCaFile() == null
            ? null
            : certificates("ingest.tls.clientCaFile", home.resolve(config.clientCaFile()));
    warnIfExpiring(chain[0], home.resolve(config.certFile()));
    try {
      SslContext server =
          builder(chain, key, config.protocols())
              .clientAuth(clientCas == null ? ClientAuth.NONE : ClientAuth.REQUIRE)
              .trustManager(clientCas)
              .build();
      // The warm-up's own client has no camera certificate: the same server side, none asked.
      SslContext warmUp = builder(chain, key, config.protocols()).build();
      return new CameraTls(
          server,
          warmUp,
          chain[0],
          config.protocols(),
          config.handshakeTimeoutMs(),
          clientCas != null);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("ingest.tls: cannot build the TLS server context: " + e, e);
    }
  }

  private static SslContextBuilder builder(
      X509Certificate[] chain, PrivateKey key, List<String> protocols) {
    return SslContextBuilder.forServer(key, chain)
        .sslProvider(SslProvider.JDK)
        .protocols(protocols.toArray(String[]::new));
  }

  /** Whether the camera port speaks TLS. */
  public boolean enabled() {
    return context != null;
  }

  /** Whether every client must present a certificate from {@code ingest.tls.clientCaFile}. */
  public boolean mutual() {
    return mutual;
  }

  /** The TLS versions offered. */
  public List<String> protocols() {
    return protocols;
  }

  /** The service's own certificate (the leaf of {@code ingest.tls.certFile}); null when off. */
  public X509Certificate certificate() {
    return leaf;
  }

  /** A new server-side handler for one connection; only when {@link #enabled()}. */
  SslHandler newHandler(ByteBufAllocator alloc) {
    SslHandler h = context.newHandler(alloc);
    h.setHandshakeTimeoutMillis(handshakeTimeoutMs);
    return h;
  }

  /**
   * The same certificate, key and protocols without asking for a client certificate: for the
   * private loopback warm-up server only ({@link IngestWarmUp}), whose one client is the service
   * itself.
   */
  CameraTls forWarmUp() {
    if (!enabled()) {
      return this;
    }
    return new CameraTls(warmUpContext, warmUpContext, leaf, protocols, handshakeTimeoutMs, false);
  }

  /**
   * A client context that trusts exactly this service's own certificate (no CA, no host name): the
   * warm-up's client, talking to the service's own loopback port.
   */
  SSLContext selfTrustingClient() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("service", leaf);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(null, tmf.getTrustManagers(), null);
      return c;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("ingest warm-up: cannot build its TLS client: " + e, e);
    }
  }

  /** One line for the start-up log. */
  String describe() {
    return String.join("/", protocols)
        + ", certificate "
        + leaf.getSubjectX500Principal().getName()
        + (mutual ? ", client certificates required (mutual TLS)" : ", no client certificates");
  }

  private static X509Certificate[] certificates(String key, Path file) {
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

  private static PrivateKey privateKey(String key, Path file) {
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
  private static void checkPair(X509Certificate leaf, PrivateKey key, Path keyFile) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> key.getAlgorithm();
        };
    boolean match;
    try {
      byte[] probe = "ingest.tls".getBytes(StandardCharsets.US_ASCII);
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
          "ingest.tls.keyFile: "
              + keyFile
              + " is not the private key of the first certificate in ingest.tls.certFile ("
              + leaf.getSubjectX500Principal().getName()
              + ")");
    }
  }

  private static void warnIfExpiring(X509Certificate leaf, Path file) {
    Instant end = leaf.getNotAfter().toInstant();
    Instant now = Instant.now();
    if (end.isBefore(now.plus(Duration.ofDays(30)))) {
      LOG.log(
          Level.WARNING,
          "ingest.tls.certFile: the service''s certificate in {0} {1} on {2}: cameras will refuse it;"
              + " replace the files and restart (docs/security.md#tls-on-the-camera-port)",
          file,
          end.isBefore(now) ? "expired" : "expires",
          end);
    }
    if (leaf.getNotBefore().toInstant().isAfter(now)) {
      LOG.log(
          Level.WARNING,
          "ingest.tls.certFile: the service''s certificate in {0} is not valid before {1}",
          file,
          leaf.getNotBefore().toInstant());
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
