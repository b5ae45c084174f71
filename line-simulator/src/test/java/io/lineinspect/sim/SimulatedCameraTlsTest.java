package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.ingest.LoopbackServer;
import io.lineinspect.core.config.IngestTlsConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.testing.CountingBuiltinBackend;
import io.lineinspect.core.tls.PemTls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulated cameras (camera-sim, loadgen, demo) on a TLS camera port with mutual TLS: the client
 * context built the way {@code --tls-ca}, {@code --tls-cert} and {@code --tls-key} build it ({@link
 * PemTls}), the real server on loopback with the camera adapters' test certificates.
 */
class SimulatedCameraTlsTest {
  private static final SimulatedCamera.Settings SETTINGS =
      new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, 100, 0.3, 7);

  @TempDir Path dir;
  private LoopbackServer line;

  /** A test certificate file of the camera adapters' test jar, copied out (it may be in a jar). */
  private Path pem(String name) throws IOException {
    try (InputStream in =
        getClass().getResourceAsStream("/io/lineinspect/camera/ingest/tls/" + name)) {
      assertTrue(in != null, "test certificate " + name + " is on the class path");
      Path p = dir.resolve(name);
      Files.copy(in, p);
      return p;
    }
  }

  @BeforeEach
  void start() throws Exception {
    IngestTlsConfig tls =
        IngestTlsConfig.of(
            pem("server.pem").toString(), pem("server.key").toString(), pem("ca.pem").toString());
    line =
        LoopbackServer.of(
                new PipelineConfig(256, 1, 8, 1.0, 8192), 500, new CountingBuiltinBackend())
            .ingest(LoopbackServer.ingest(1 << 20).withTls(tls))
            .start();
  }

  @AfterEach
  void stop() {
    line.close();
  }

  private SSLContext client(boolean withCertificate) throws IOException {
    PemTls.Identity id =
        withCertificate
            ? PemTls.identity("--tls-cert", pem("client.pem"), "--tls-key", pem("client.key"))
            : null;
    return PemTls.context(id, PemTls.certificates("--tls-ca", dir.resolve("ca.pem")));
  }

  @Test
  void shouldGetJudgedVerdictsOverMutualTls() throws Exception {
    SimStats stats = new SimStats();
    CameraSecrets secrets = CameraSecrets.none().withTls(client(true));
    try (SimulatedCamera cam =
        new SimulatedCamera(
            "127.0.0.1",
            line.port(),
            "cam-1",
            SETTINGS,
            stats,
            null,
            secrets.tokenFor("cam-1"),
            secrets.tls())) {
      Thread.sleep(500);
      cam.stopSending();
      assertTrue(cam.awaitLastVerdict(5_000), "the last frame got its verdict");
      assertEquals(null, cam.fatalError());
    }
    SimStats.Snapshot s = stats.snapshot();
    assertTrue(s.sent() > 10, "frames were sent: " + s.sent());
    assertEquals(0, s.withoutVerdict());
    assertEquals(s.sent(), s.judged());
    assertEquals(1, line.server().metrics().tlsHandshakes());
  }

  @Test
  void shouldBeRefusedWithoutAClientCertificateOrInPlainTcp() throws Exception {
    SSLContext noCert = client(false);
    assertThrows(
        IOException.class,
        () ->
            new SimulatedCamera(
                    "127.0.0.1",
                    line.port(),
                    "cam-1",
                    SETTINGS,
                    new SimStats(),
                    null,
                    new byte[0],
                    noCert)
                .close());
    assertThrows(
        IOException.class,
        () ->
            new SimulatedCamera(
                    "127.0.0.1",
                    line.port(),
                    "cam-1",
                    SETTINGS,
                    new SimStats(),
                    null,
                    new byte[0],
                    null)
                .close());
  }
}
