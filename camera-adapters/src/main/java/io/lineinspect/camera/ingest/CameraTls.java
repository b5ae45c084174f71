package io.lineinspect.camera.ingest;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.IngestTlsConfig;
import io.lineinspect.core.tls.PemTls;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * TLS on the camera port ({@code ingest.tls}): the server's {@link SslContext} (JDK provider),
 * built once at start-up from PEM files, each read and checked ({@link PemTls}) so that a missing,
 * unreadable or invalid file stops start-up with a message naming its key. Protocol v1 runs
 * unchanged inside the TLS connection; {@link CameraServer} puts {@link #newHandler} first in every
 * connection's pipeline.
 *
 * <p>Immutable; any thread.
 */
public final class CameraTls {
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
    PemTls.Identity id =
        PemTls.serverIdentity(
            "ingest.tls",
            home.resolve(config.certFile()),
            home.resolve(config.keyFile()),
            "cameras");
    X509Certificate[] chain = id.chain();
    PrivateKey key = id.key();
    X509Certificate[] clientCas =
        config.clientCaFile() == null
            ? null
            : PemTls.certificates("ingest.tls.clientCaFile", home.resolve(config.clientCaFile()));
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
    return PemTls.context(null, new X509Certificate[] {leaf});
  }

  /** One line for the start-up log. */
  String describe() {
    return String.join("/", protocols)
        + ", certificate "
        + leaf.getSubjectX500Principal().getName()
        + (mutual ? ", client certificates required (mutual TLS)" : ", no client certificates");
  }
}
