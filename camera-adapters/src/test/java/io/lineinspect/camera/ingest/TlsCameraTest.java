package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.IngestTlsConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.LineWarmUp;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the camera port ({@code ingest.tls}): the real server on loopback, real TLS clients (JSSE
 * sockets with the committed test certificates, {@link TestTls}) and plain TCP ones.
 */
class TlsCameraTest {
  private final ConcurrentLinkedQueue<Long> verdicts = new ConcurrentLinkedQueue<>();
  private LoopbackServer line;
  private CameraServer server;
  private int port;

  private void start(IngestTlsConfig tls) throws Exception {
    VerdictListener recorder =
        new VerdictListener() {
          @Override
          public void onVerdict(VerdictView v) {
            verdicts.add(v.sequence());
          }
        };
    IngestConfig ingest = LoopbackServer.ingest(64 * 1024).withTls(tls);
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, new ScriptedBackend(8))
            .ingest(ingest)
            .listener(recorder)
            .start();
    server = line.server();
    port = line.port();
  }

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() - until < 0, "timed out waiting: " + what);
      Thread.sleep(2);
    }
  }

  /** Sends frames 1..n and reads exactly n verdicts, in order, each for its frame. */
  private static void stream(TestCamera cam, int n, long firstSeq) throws IOException {
    for (int i = 0; i < n; i++) {
      cam.mono8(firstSeq + i, 10);
    }
    for (int i = 0; i < n; i++) {
      TestCamera.Message m = cam.read();
      assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), m.toString());
      assertEquals(firstSeq + i, m.verdict().sequence());
    }
  }

  /** The TLS client is refused: no HELLO_ACK ever comes, the connection ends. */
  private static void assertRefused(javax.net.ssl.SSLContext client, int port) {
    IOException e =
        assertThrows(
            IOException.class,
            () -> {
              try (TestCamera cam = TestCamera.overTls(port, client)) {
                cam.hello("cam-1");
                TestCamera.Message m = cam.read();
                throw new AssertionError("expected the connection to be refused, got " + m);
              }
            });
    assertFalse(e instanceof java.net.SocketTimeoutException, "refused, not ignored: " + e);
  }

  private long handshakeFailures() {
    return server.metrics().limited(IngestMetrics.Limit.TLS_HANDSHAKE);
  }

  @Test
  void shouldServeATlsCameraWithHelloAckAndOneVerdictPerFrame() throws Exception {
    start(TestTls.server(false));
    assertTrue(server.tls().enabled());
    try (TestCamera cam = TestCamera.connectedOverTls(port, TestTls.camera(null), "cam-1")) {
      stream(cam, 50, 1);
      cam.heartbeat(System.currentTimeMillis() * 1000);
      stream(cam, 10, 51);
    }
    await(() -> verdicts.size() == 60, "60 verdicts to the listeners");
    assertEquals(60, server.metrics().frames());
    assertEquals(1, server.metrics().tlsHandshakes());
    assertEquals(0, handshakeFailures());
  }

  @Test
  void shouldServeACameraWithAClientCertificateFromTheConfiguredCa() throws Exception {
    start(TestTls.server(true));
    assertTrue(server.tls().mutual());
    try (TestCamera cam = TestCamera.connectedOverTls(port, TestTls.camera("client"), "cam-1");
        TestCamera cam2 = TestCamera.connectedOverTls(port, TestTls.camera("client2"), "cam-2")) {
      stream(cam, 20, 1);
      stream(cam2, 20, 1);
    }
    assertEquals(2, server.metrics().tlsHandshakes());
    assertEquals(0, handshakeFailures());
  }

  @Test
  void shouldBindACameraIdToItsClientCertificate() throws Exception {
    byte[] secret = new byte[16];
    java.util.Arrays.fill(secret, (byte) 7);
    java.util.Map<String, io.lineinspect.core.config.CameraCredentialConfig> cameras =
        java.util.Map.of(
            "cam-1",
                new io.lineinspect.core.config.CameraCredentialConfig(null, null, true, "cam-1"),
            "cam-2",
                new io.lineinspect.core.config.CameraCredentialConfig(
                    java.util.HexFormat.of().formatHex(secret), null, null, "cam-2"));
    IngestConfig ingest =
        LoopbackServer.ingest(64 * 1024).withTls(TestTls.server(true)).withCameras(cameras);
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, new ScriptedBackend(8))
            .ingest(ingest)
            .start();
    server = line.server();
    port = line.port();
    // The right certificate (CN=cam-1) proves the tokenless camera; CN=cam-2 with the right secret.
    try (TestCamera cam = TestCamera.connectedOverTls(port, TestTls.camera("client"), "cam-1")) {
      stream(cam, 5, 1);
    }
    try (TestCamera cam = TestCamera.overTls(port, TestTls.camera("client2"))) {
      cam.hello("cam-2", secret);
      assertEquals(ProtocolV1.TYPE_HELLO_ACK, cam.read().type());
      stream(cam, 5, 1);
    }
    // Another camera's certificate is refused for this id, even with the id's secret.
    try (TestCamera cam = TestCamera.overTls(port, TestTls.camera("client"))) {
      cam.hello("cam-2", secret);
      TestCamera.Message m = cam.read();
      assertEquals(ProtocolV1.TYPE_ERROR, m.type(), m.toString());
      assertEquals(io.lineinspect.camera.protocol.ErrorCode.AUTHENTICATION_FAILED, m.errorCode());
    }
    try (TestCamera cam = TestCamera.overTls(port, TestTls.camera("client2"))) {
      cam.hello("cam-1");
      TestCamera.Message m = cam.read();
      assertEquals(io.lineinspect.camera.protocol.ErrorCode.AUTHENTICATION_FAILED, m.errorCode());
    }
    assertEquals(
        2, server.metrics().errors(io.lineinspect.camera.protocol.ErrorCode.AUTHENTICATION_FAILED));
  }

  @Test
  void shouldRefuseACertificateBindingWithoutMutualTls() {
    java.util.Map<String, io.lineinspect.core.config.CameraCredentialConfig> cameras =
        java.util.Map.of(
            "cam-1",
            new io.lineinspect.core.config.CameraCredentialConfig(null, null, true, "cam-1"));
    String m =
        assertThrows(
                ConfigException.class,
                () ->
                    LoopbackServer.ingest(64 * 1024)
                        .withTls(TestTls.server(false))
                        .withCameras(cameras))
            .getMessage();
    assertTrue(
        m.startsWith("ingest.cameras.cam-1.certificateCn: binds the camera to its client"), m);
  }

  @Test
  void shouldRefuseAClientCertificateFromAnotherCaAndCountIt() throws Exception {
    start(TestTls.server(true));
    assertRefused(TestTls.camera("other-client"), port);
    await(() -> handshakeFailures() == 1, "the failed handshake counted");
    assertEquals(0, server.connectedCameras());
    assertEquals(0, server.metrics().frames());
  }

  @Test
  void shouldRefuseAClientWithoutCertificateWhenMutualTlsIsOn() throws Exception {
    start(TestTls.server(true));
    assertRefused(TestTls.camera(null), port);
    await(() -> handshakeFailures() == 1, "the failed handshake counted");
    await(() -> server.metrics().connectionsOpen() == 0, "the connection closed");
    // The same camera with its certificate is served right after.
    try (TestCamera cam = TestCamera.connectedOverTls(port, TestTls.camera("client"), "cam-1")) {
      stream(cam, 5, 1);
    }
  }

  @Test
  void shouldRefuseAPlainClientOnTheTlsPortWithoutHarmingATlsCameraBeside() throws Exception {
    start(TestTls.server(true));
    try (TestCamera cam = TestCamera.connectedOverTls(port, TestTls.camera("client"), "cam-1")) {
      stream(cam, 10, 1);
      int plain = 5;
      for (int i = 0; i < plain; i++) {
        try (TestCamera p = new TestCamera(port)) {
          p.hello("cam-" + (i + 2)); // protocol v1 in clear: not a TLS record
          assertTrue(p.closedByService(3_000), "a plain client is disconnected");
        } catch (IOException e) {
          // also a refusal: the service answered with a TLS alert ("bad magic from service")
          assertTrue(e.getMessage().contains("bad magic"), String.valueOf(e));
        }
        stream(cam, 10, 11 + 10L * i);
      }
      await(() -> handshakeFailures() == plain, "each plain client counted");
      assertEquals(1, server.connectedCameras());
      stream(cam, 10, 1_000);
    }
    await(() -> verdicts.size() == 70, "every frame of the TLS camera got its verdict");
    assertEquals(70, server.metrics().frames());
  }

  @Test
  void shouldCloseAConnectionThatNeverStartsItsHandshake() throws Exception {
    start(
        new IngestTlsConfig(
            true,
            TestTls.file("server.pem").toString(),
            TestTls.file("server.key").toString(),
            null,
            null,
            300));
    long t0 = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      InputStream in = s.getInputStream();
      try {
        assertEquals(-1, in.read(), "closed, nothing sent in clear");
      } catch (java.net.SocketException reset) {
        // closed by a reset: also closed
      }
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms >= 250 && ms < 1_900, "closed by the 300 ms handshake timeout, took " + ms);
    await(() -> handshakeFailures() == 1, "the timed-out handshake counted");
  }

  @Test
  void shouldCloseAtHelloTimeoutWhenItComesBeforeTheHandshakeTimeout() throws Exception {
    IngestConfig base = LoopbackServer.ingest(64 * 1024);
    IngestConfig ingest =
        base.withLimits(
                base.maxConnections(),
                base.maxConnectionsPerAddress(),
                300,
                base.messageTimeoutMs(),
                base.maxBufferedBytes(),
                base.maxFramesPerSecond())
            .withTls(
                new IngestTlsConfig(
                    true,
                    TestTls.file("server.pem").toString(),
                    TestTls.file("server.key").toString(),
                    null,
                    null,
                    5_000));
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, new ScriptedBackend(8))
            .ingest(ingest)
            .start();
    server = line.server();
    long t0 = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", line.port())) {
      s.setSoTimeout(8_000);
      try {
        assertEquals(-1, s.getInputStream().read(), "closed, no ERROR in clear");
      } catch (java.net.SocketException reset) {
        // closed by a reset: also closed
      }
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    // The handshake's time is part of the HELLO's: ingest.helloTimeoutMs holds over TLS too.
    assertTrue(ms >= 250 && ms < 2_000, "closed by the 300 ms HELLO timeout, took " + ms);
    await(
        () -> server.metrics().limited(IngestMetrics.Limit.HELLO_TIMEOUT) == 1,
        "counted as HELLO_TIMEOUT");
  }

  @Test
  void shouldOfferOnlyTheConfiguredProtocols() throws Exception {
    start(TestTls.server(false)); // default: TLSv1.3 only
    javax.net.ssl.SSLContext tls12 = TestTls.camera(null);
    IOException e =
        assertThrows(
            IOException.class,
            () -> {
              javax.net.ssl.SSLSocket s =
                  (javax.net.ssl.SSLSocket)
                      tls12.getSocketFactory().createSocket("127.0.0.1", port);
              try (s) {
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                s.setSoTimeout(5_000);
                s.startHandshake();
              }
            });
    assertTrue(e instanceof javax.net.ssl.SSLException, String.valueOf(e));
    await(() -> handshakeFailures() == 1, "the failed handshake counted");
  }

  @Test
  void shouldWarmUpOverTlsWithoutAClientCertificateEvenWhenMutualTlsIsOn() throws Exception {
    start(TestTls.server(true));
    List<LineWarmUp.Frame> parts =
        List.of(new LineWarmUp.Frame(8, 8, PixelFormat.MONO8, new byte[64]));
    IngestWarmUp.Result r =
        IngestWarmUp.run(
            LoopbackServer.ingest(64 * 1024),
            new LineConfig("test-line", 10_000, Verdict.FAIL),
            line.pipeline(),
            NanoClock.SYSTEM,
            parts,
            40,
            8,
            server.tls());
    assertEquals(40, r.frames());
    assertTrue(verdicts.isEmpty(), "warm-up verdicts reach no listener");
    assertEquals(0, server.metrics().frames(), "the real server saw nothing");
  }

  @Test
  void shouldNameTheKeyOfEveryMissingOrInvalidFile(@TempDir Path dir) throws Exception {
    String cert = TestTls.file("server.pem").toString();
    String key = TestTls.file("server.key").toString();
    String ca = TestTls.file("ca.pem").toString();
    Path home = dir;
    String m = error(IngestTlsConfig.of("nope.pem", key, null), home);
    assertTrue(m.startsWith("ingest.tls.certFile: cannot read " + dir.resolve("nope.pem")), m);
    m = error(IngestTlsConfig.of(cert, "nope.key", null), home);
    assertTrue(m.startsWith("ingest.tls.keyFile: cannot read " + dir.resolve("nope.key")), m);
    m = error(IngestTlsConfig.of(cert, key, "nope-ca.pem"), home);
    assertTrue(m.startsWith("ingest.tls.clientCaFile: cannot read "), m);
    m = error(IngestTlsConfig.of(key, key, null), home);
    assertTrue(m.startsWith("ingest.tls.certFile: "), m);
    m = error(IngestTlsConfig.of(cert, cert, null), home);
    assertTrue(m.startsWith("ingest.tls.keyFile: expected an unencrypted PKCS#8 PEM key"), m);
    m = error(IngestTlsConfig.of(cert, TestTls.file("client.key").toString(), null), home);
    assertTrue(
        m.startsWith("ingest.tls.keyFile: ")
            && m.contains("is not the private key of the first certificate"),
        m);
    Files.writeString(
        dir.resolve("old.key"),
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    m = error(IngestTlsConfig.of(cert, "old.key", null), home);
    assertTrue(m.contains("older RSA/EC format") && m.contains("openssl pkcs8 -topk8"), m);
    Files.writeString(dir.resolve("empty.pem"), "");
    m = error(IngestTlsConfig.of(cert, key, "empty.pem"), home);
    assertTrue(m.startsWith("ingest.tls.clientCaFile: no PEM certificate in"), m);
    // Relative paths resolve against the install directory.
    Files.copy(Path.of(cert), dir.resolve("server.pem"));
    Files.copy(Path.of(key), dir.resolve("server.key"));
    Files.copy(Path.of(ca), dir.resolve("ca.pem"));
    CameraTls ok = CameraTls.of(IngestTlsConfig.of("server.pem", "server.key", "ca.pem"), home);
    assertTrue(ok.enabled() && ok.mutual());
    assertFalse(CameraTls.of(IngestTlsConfig.disabled(), home).enabled());
  }

  private static String error(IngestTlsConfig tls, Path home) {
    return assertThrows(ConfigException.class, () -> CameraTls.of(tls, home)).getMessage();
  }
}
