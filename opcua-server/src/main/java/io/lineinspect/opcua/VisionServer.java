package io.lineinspect.opcua;

import io.lineinspect.core.config.ConfigException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.milo.opcua.sdk.server.EndpointConfig;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.identity.UsernameIdentityValidator;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.security.DefaultApplicationGroup;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultServerCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.FileBasedCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.FileBasedTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.KeyStoreCertificateStore;
import org.eclipse.milo.opcua.stack.core.security.RsaSha256CertificateFactory;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.transport.TransportProfile;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.structured.BuildInfo;
import org.eclipse.milo.opcua.stack.core.util.CertificateUtil;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransport;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransportConfig;

/**
 * The line's embedded OPC UA server ({@code opcua:}, {@code docs/opcua.md}): Eclipse Milo on {@code
 * opcua.host:port}, Basic256Sha256 SignAndEncrypt unless {@code securityPolicy: None}, user name
 * and password logins only, client certificates checked against the trust list in {@code
 * <dir>/pki/trusted/certs} (rejected ones are kept in {@code <dir>/pki/rejected/certs} for review).
 * The application certificate is generated at the first start, self-signed, in {@code
 * <dir>/server.pfx} (its password in {@code server.pfx.password}, both owner-only) and exported as
 * {@code <dir>/server.der} for the clients' trust lists.
 *
 * <p>Observe-only: it is fed by {@link #feed()} (an audit chain listener) and reads {@link
 * LineStatus} snapshots on its own thread; nothing it does can delay a verdict.
 *
 * <p>Lifecycle: {@link #start()}, {@link #halting()}, {@link #close()} from the owner's thread.
 */
public final class VisionServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(VisionServer.class.getName());
  private static final String ALIAS_PASSWORD_FILE = "server.pfx.password";

  private final OpcUaConfig config;
  private final int port;
  private final OpcUaServer server;
  private final VisionNamespace namespace;
  private final ResultFeed feed;
  private final KeyStoreCertificateStore store;
  private final FileBasedTrustListManager trust;
  private final Path certificateFile;
  private final java.util.concurrent.ExecutorService executor =
      java.util.concurrent.Executors.newFixedThreadPool(4, new LowPriority("opcua-worker-"));
  private final java.util.concurrent.ScheduledExecutorService timer =
      java.util.concurrent.Executors.newScheduledThreadPool(1, new LowPriority("opcua-timer-"));
  private final io.netty.channel.EventLoopGroup eventLoop =
      new io.netty.channel.MultiThreadIoEventLoopGroup(
          2, new LowPriority("opcua-io-"), io.netty.channel.nio.NioIoHandler.newFactory());
  private final String endpointUrl;
  private boolean started;
  private boolean closed;

  /**
   * Reads the users' password files and the certificate (generating it at the first start).
   *
   * @param home the install directory: {@code opcua.dir} and password files resolve here
   * @param lineName the line's name, in the application name and URI
   * @throws ConfigException naming the key of a file that cannot be read or written
   */
  public VisionServer(OpcUaConfig config, Path home, String lineName, LineStatus status) {
    this(config, home, lineName, status, null);
  }

  /**
   * As {@link #VisionServer(OpcUaConfig, Path, String, LineStatus)}, with RecipeManagement over
   * {@code recipes} (null: no RecipeManagement object).
   */
  public VisionServer(
      OpcUaConfig config, Path home, String lineName, LineStatus status, Recipes recipes) {
    this.config = config;
    Map<String, byte[]> passwords = new LinkedHashMap<>();
    Map<String, Boolean> engineers = new LinkedHashMap<>();
    for (Map.Entry<String, OpcUaConfig.OpcUaUserConfig> u : config.users().entrySet()) {
      String key = "opcua.users." + u.getKey() + ".passwordFile";
      passwords.put(
          u.getKey(), digest(Secrets.readOrCreate(key, home.resolve(u.getValue().passwordFile()))));
      engineers.put(u.getKey(), u.getValue().engineer());
    }
    Path dir = home.resolve(config.dir());
    this.port = config.port() == 0 ? freePort(config.host()) : config.port();
    String hostname = hostname(config.host());
    this.endpointUrl = "opc.tcp://" + hostname + ":" + port + config.path();
    try {
      Files.createDirectories(dir);
      Path pki = dir.resolve("pki");
      this.trust = FileBasedTrustListManager.createAndInitialize(pki);
      Path rejected = pki.resolve("rejected").resolve("certs");
      Files.createDirectories(rejected);
      var quarantine = new FileBasedCertificateQuarantine(rejected.toFile());
      Path pfx = dir.resolve("server.pfx");
      boolean first = !Files.exists(pfx);
      char[] pfxPassword =
          Secrets.readOrCreate("opcua.dir", dir.resolve(ALIAS_PASSWORD_FILE)).toCharArray();
      this.store =
          KeyStoreCertificateStore.createAndInitialize(
              new KeyStoreCertificateStore.Settings(pfx, () -> pfxPassword, a -> pfxPassword));
      String applicationUri = "urn:lineinspect:opcua:" + sanitize(lineName);
      var factory =
          new RsaSha256CertificateFactory() {
            @Override
            protected X509Certificate[] createRsaSha256CertificateChain(KeyPair keyPair) {
              try {
                return new X509Certificate[] {
                  selfSigned(keyPair, applicationUri, lineName, hostname, config.host())
                };
              } catch (Exception e) {
                throw new IllegalStateException("generating the OPC UA certificate: " + e, e);
              }
            }

            @Override
            protected KeyPair createRsaSha256KeyPair() {
              try {
                return SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          };
      var validator = new DefaultServerCertificateValidator(trust, quarantine);
      var group = DefaultApplicationGroup.createAndInitialize(trust, store, factory, validator);
      var certificates = new DefaultCertificateManager(quarantine, group);
      X509Certificate certificate =
          group
              .getCertificateChain(NodeIds.RsaSha256ApplicationCertificateType)
              .map(c -> c[0])
              .orElseThrow(() -> new IOException("no application certificate in " + pfx));
      ownerOnly(pfx);
      this.certificateFile = dir.resolve("server.der");
      Files.write(certificateFile, certificate.getEncoded());
      LOG.log(
          Level.INFO,
          "opcua: {0} application certificate {1} (SHA-1 {2}; clients trust {3}); trusted client"
              + " certificates in {4}, rejected ones kept in {5}",
          first ? "generated self-signed" : "using",
          pfx,
          HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded())),
          certificateFile,
          pki.resolve("trusted").resolve("certs"),
          rejected);
      String uri =
          CertificateUtil.getSanUri(certificate)
              .orElseThrow(
                  () -> new IOException(pfx + ": the certificate names no application URI"));
      var identities =
          new UsernameIdentityValidator(
              c -> {
                byte[] want = passwords.get(c.getUsername());
                byte[] got = digest(c.getPassword() == null ? "" : c.getPassword());
                // Compare a digest whatever the user, so a wrong name costs the same time.
                return MessageDigest.isEqual(want == null ? new byte[32] : want, got)
                    && want != null;
              });
      OpcUaServerConfig serverConfig =
          OpcUaServerConfig.builder()
              .setApplicationUri(uri)
              .setApplicationName(LocalizedText.english("Line inspection " + lineName))
              .setEndpoints(endpoints(certificate, hostname))
              .setBuildInfo(
                  new BuildInfo(
                      "urn:lineinspect:opcua",
                      "lineinspect",
                      "line inspection OPC UA server",
                      OpcUaServer.SDK_VERSION,
                      "",
                      DateTime.now()))
              .setCertificateManager(certificates)
              .setIdentityValidator(identities)
              .setProductUri("urn:lineinspect:opcua")
              .setExecutor(executor)
              .setScheduledExecutor(timer)
              .build();
      this.server =
          new OpcUaServer(
              serverConfig,
              profile ->
                  new OpcTcpServerTransport(
                      OpcTcpServerTransportConfig.newBuilder()
                          .setExecutor(executor)
                          .setEventLoop(eventLoop)
                          .build()));
    } catch (ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new ConfigException("opcua.dir: " + dir + ": " + e.getMessage(), e);
    }
    this.namespace = new VisionNamespace(server, config, status, recipes, Map.copyOf(engineers));
    this.feed =
        new ResultFeed(config.queueSize(), config.updateIntervalMs(), namespace, System::nanoTime);
    if (config.securityPolicy().equals("None")) {
      LOG.log(
          Level.WARNING,
          "opcua.securityPolicy: None: OPC UA messages to and from {0} are neither signed nor"
              + " encrypted (passwords still are); use Basic256Sha256 outside a test bench",
          endpointUrl);
    }
  }

  private Set<EndpointConfig> endpoints(X509Certificate certificate, String hostname) {
    Set<EndpointConfig> set = new LinkedHashSet<>();
    EndpointConfig.Builder base =
        EndpointConfig.newBuilder()
            .setBindAddress(config.host())
            .setBindPort(port)
            .setHostname(hostname)
            .setPath(config.path())
            .setCertificate(certificate)
            .setTransportProfile(TransportProfile.TCP_UASC_UABINARY)
            .addTokenPolicies(OpcUaServerConfig.USER_TOKEN_POLICY_USERNAME);
    if (config.securityPolicy().equals("None")) {
      set.add(
          base.copy()
              .setSecurityPolicy(SecurityPolicy.None)
              .setSecurityMode(MessageSecurityMode.None)
              .build());
    } else {
      set.add(
          base.copy()
              .setSecurityPolicy(SecurityPolicy.Basic256Sha256)
              .setSecurityMode(MessageSecurityMode.SignAndEncrypt)
              .build());
    }
    // GetEndpoints / FindServers only (OPC UA Part 6): how a client learns the endpoints above.
    set.add(
        base.copy()
            .setPath(config.path() + "/discovery")
            .setSecurityPolicy(SecurityPolicy.None)
            .setSecurityMode(MessageSecurityMode.None)
            .build());
    return set;
  }

  private static X509Certificate selfSigned(
      KeyPair keyPair, String uri, String lineName, String hostname, String host) throws Exception {
    SelfSignedCertificateBuilder b =
        new SelfSignedCertificateBuilder(keyPair)
            .setCommonName("lineinspect " + sanitize(lineName))
            .setOrganization("lineinspect")
            .setApplicationUri(uri)
            .setValidityPeriod(java.time.Period.ofYears(5));
    Set<String> names = new LinkedHashSet<>();
    names.add(hostname);
    names.add("localhost");
    names.add(host);
    names.add("127.0.0.1");
    for (String n : names) {
      if (n.matches("[0-9.]+") || n.contains(":")) {
        b.addIpAddress(n);
      } else {
        b.addDnsName(n);
      }
    }
    return b.build();
  }

  private static String sanitize(String s) {
    return s.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static String hostname(String host) {
    if (host.equals("0.0.0.0") || host.equals("::")) {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        return "localhost";
      }
    }
    return host;
  }

  private static int freePort(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new ConfigException(
          "opcua.port: 0: no free port on " + host + ": " + e.getMessage(), e);
    }
  }

  private static byte[] digest(String password) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void ownerOnly(Path file) throws IOException {
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  /** Binds the port and starts serving; the feed thread starts with it. */
  public void start() {
    try {
      server.startup().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      server.shutdown();
      throw new ConfigException(
          "opcua.port: cannot serve OPC UA on " + config.host() + ":" + port + ": " + e, e);
    }
    namespace.startup();
    feed.start();
    started = true;
    LOG.log(
        Level.INFO,
        "opcua: serving {0} ({1}{2}; users: {3})",
        endpointUrl,
        config.securityPolicy(),
        config.securityPolicy().equals("None") ? "" : " SignAndEncrypt",
        String.join(", ", config.users().keySet()));
  }

  /** The audit chain listener that feeds the results. */
  public ResultFeed feed() {
    return feed;
  }

  /** The service is stopping: VisionStateMachine shows Halted. */
  public void halting() {
    namespace.halting();
  }

  /** The endpoint clients connect to, {@code opc.tcp://host:port/path}. */
  public String endpointUrl() {
    return endpointUrl;
  }

  /** The port served. */
  public int port() {
    return port;
  }

  /** The application certificate, DER, for the clients' trust lists. */
  public Path certificateFile() {
    return certificateFile;
  }

  /** The ids of the results kept for GetResultById, oldest first (tests). */
  java.util.List<Long> recentIds() {
    return namespace.recentIds();
  }

  /** Hands on the results still queued, then stops serving. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    feed.close();
    if (started) {
      namespace.shutdown();
      try {
        server.shutdown().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.WARNING, "opcua: shutdown: " + e);
      }
    }
    try {
      store.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "opcua: closing the key store: " + e);
    }
    try {
      trust.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "opcua: closing the trust list: " + e);
    }
    eventLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    executor.shutdown();
    timer.shutdownNow();
  }

  /** Password files: read, or created random and owner-only; refused when others may read them. */
  static final class Secrets {
    private Secrets() {}

    static String readOrCreate(String key, Path file) {
      try {
        if (Files.isRegularFile(file)) {
          if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            for (PosixFilePermission bad :
                Set.of(
                    PosixFilePermission.GROUP_READ,
                    PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_WRITE)) {
              if (p.contains(bad)) {
                throw new ConfigException(
                    key
                        + ": "
                        + file
                        + " may be read or written by others ("
                        + PosixFilePermissions.toString(p)
                        + "): chmod 600 it");
              }
            }
          }
          String s = Files.readString(file, StandardCharsets.UTF_8).strip();
          if (s.length() < 12) {
            throw new ConfigException(
                key + ": " + file + " holds fewer than 12 characters; put a longer password in");
          }
          return s;
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String s = HexFormat.of().formatHex(random);
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
          Files.createFile(
              file,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, s + "\n", StandardCharsets.UTF_8);
        LOG.log(Level.INFO, "opcua: created {0} with a random password ({1})", file, key);
        return s;
      } catch (IOException e) {
        throw new ConfigException(key + ": " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
