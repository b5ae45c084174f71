package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.testing.ScriptedBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may speak for a camera id ({@code ingest.cameras}, protocol §4.1): the real server on
 * loopback, real TCP clients. The issue-18 finding: any client could be any camera, take an id 2 ms
 * after the real camera left, lock the real camera out, and overwrite its archived images.
 */
class CameraCredentialTest {
  private static final String SECRET = "00112233445566778899aabbccddeeff";
  private static final byte[] TOKEN = HexFormat.of().parseHex(SECRET);
  private static final Map<String, CameraCredentialConfig> CAMERAS =
      Map.of(
          "cam-1", new CameraCredentialConfig(SECRET, null, null),
          "cam-9", new CameraCredentialConfig(null, null, true));

  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private final Handler logs =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
            warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final Logger jul = Logger.getLogger(CameraServer.class.getPackageName());

  private ScriptedBackend backend;
  private LoopbackServer line;
  private CameraServer server;
  private int port;

  @BeforeEach
  void captureWarnings() {
    jul.addHandler(logs);
  }

  @AfterEach
  void stop() {
    jul.removeHandler(logs);
    if (line != null) {
      line.close();
    }
  }

  /** A server with {@code cameras} as {@code ingest.cameras} (null: the open port). */
  private void start(Map<String, CameraCredentialConfig> cameras, VerdictListener listener)
      throws Exception {
    backend = new ScriptedBackend(8);
    IngestConfig open = LoopbackServer.ingest(64 * 1024, 10_000, 2, "auto");
    IngestConfig ingest =
        new IngestConfig(
            open.host(),
            open.port(),
            open.maxMessageBytes(),
            open.idleTimeoutMs(),
            open.ioThreads(),
            open.transport(),
            open.maxImagePixels(),
            open.maxConnections(),
            open.maxConnectionsPerAddress(),
            open.helloTimeoutMs(),
            open.messageTimeoutMs(),
            open.maxBufferedBytes(),
            open.maxFramesPerSecond(),
            cameras);
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, backend)
            .ingest(ingest)
            .listener(listener)
            .start();
    server = line.server();
    port = line.port();
  }

  private void start(Map<String, CameraCredentialConfig> cameras) throws Exception {
    start(cameras, null);
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() - until < 0, "timed out waiting: " + what);
      Thread.sleep(2);
    }
  }

  /** The next message is the fatal ERROR {@code code}, then the service closes the connection. */
  private static String expectFatal(TestCamera cam, ErrorCode code) throws Exception {
    TestCamera.Message m = cam.read();
    assertEquals(ProtocolV1.TYPE_ERROR, m.type(), m.toString());
    assertEquals(code, m.errorCode(), m.toString());
    assertTrue(m.fatal(), m.toString());
    assertEquals(ProtocolV1.NO_SEQUENCE, m.errorSequence());
    assertTrue(cam.closedByService(), "a fatal ERROR closes the connection");
    return m.errorMessage();
  }

  /** Sends frame {@code seq} and expects its judged verdict. */
  private static void judged(TestCamera cam, long seq) throws Exception {
    cam.mono8(seq, 0);
    TestCamera.Message m = cam.read();
    assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), m.toString());
    assertEquals(seq, m.verdict().sequence());
    assertEquals(ReasonCode.NONE, m.verdict().reason());
  }

  private static byte[] wrongToken() {
    byte[] t = TOKEN.clone();
    t[0] ^= 1;
    return t;
  }

  @Test
  void shouldRefuseAnImpostorAfterTheRealCameraDisconnects() throws Exception {
    start(CAMERAS);
    try (TestCamera real = TestCamera.connected(port, "cam-1", TOKEN)) {
      judged(real, 1);
    }
    await(() -> server.connectedCameras() == 0, "the real camera's disconnect");
    byte[][] tokens = {wrongToken(), new byte[0], SECRET.getBytes(), new byte[1024]};
    for (byte[] token : tokens) {
      try (TestCamera impostor = new TestCamera(port)) {
        impostor.hello("cam-1", token);
        expectFatal(impostor, ErrorCode.AUTHENTICATION_FAILED);
      }
    }
    assertEquals(tokens.length, server.metrics().errors(ErrorCode.AUTHENTICATION_FAILED));
    assertEquals(0, server.connectedCameras(), "no impostor holds the id");
    try (TestCamera real = TestCamera.connected(port, "cam-1", TOKEN)) {
      judged(real, 2);
    }
  }

  @Test
  void shouldNotLetASquatterWithAWrongTokenLockTheRealCameraOut() throws Exception {
    start(CAMERAS);
    try (TestCamera squatter = new TestCamera(port)) {
      squatter.hello("cam-1", wrongToken());
      expectFatal(squatter, ErrorCode.AUTHENTICATION_FAILED);
    }
    try (TestCamera real = TestCamera.connected(port, "cam-1", TOKEN)) {
      judged(real, 1);
      // A refused HELLO while the real camera holds the id neither takes it nor disturbs it.
      try (TestCamera squatter = new TestCamera(port)) {
        squatter.hello("cam-1", new byte[0]);
        expectFatal(squatter, ErrorCode.AUTHENTICATION_FAILED);
      }
      judged(real, 2);
      assertEquals(0, server.metrics().errors(ErrorCode.CAMERA_ID_TAKEN_OVER));
    }
  }

  @Test
  void shouldLetAnAuthenticatedCameraTakeOverItsIdAfterTheHoldersVerdicts() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    start(CAMERAS, v -> seen.add(v.cameraId() + "#" + v.sequence()));
    TestCamera holder = TestCamera.connected(port, "cam-1", TOKEN);
    backend.gated(true); // the holder's frames stay in flight while the id changes hands
    for (int i = 1; i <= 5; i++) {
      holder.mono8(i, 0);
    }
    await(() -> server.metrics().frames() == 5, "the holder's five frames received");
    try (TestCamera taker = TestCamera.connected(port, "cam-1", TOKEN)) {
      assertEquals(1, server.connectedCameras(), "the id has one holder: the new connection");
      backend.gated(false);
      for (int i = 1; i <= 5; i++) {
        TestCamera.Message m = holder.read();
        assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), "verdict " + i + " first: " + m);
        assertEquals(i, m.verdict().sequence());
        assertEquals(ReasonCode.NONE, m.verdict().reason(), "judged, not failed safe");
      }
      String message = expectFatal(holder, ErrorCode.CAMERA_ID_TAKEN_OVER);
      assertTrue(message.contains("cam-1"), message);
      holder.close();
      judged(taker, 6);
    }
    await(() -> seen.size() == 6, "six verdicts to the listeners");
    assertEquals(
        List.of("cam-1#1", "cam-1#2", "cam-1#3", "cam-1#4", "cam-1#5", "cam-1#6"),
        new ArrayList<>(seen),
        "every received frame: exactly one verdict, to the actuators and the audit too");
    assertEquals(0, server.metrics().verdictsUndeliverable());
    assertTrue(
        warnings.stream().anyMatch(w -> w.contains("authenticated as it")), warnings.toString());
  }

  @Test
  void shouldRefuseAnUnknownIdLikeAWrongToken() throws Exception {
    start(CAMERAS);
    String unknown;
    try (TestCamera stranger = new TestCamera(port)) {
      stranger.hello("cam-2", TOKEN);
      unknown = expectFatal(stranger, ErrorCode.AUTHENTICATION_FAILED);
    }
    String wrong;
    try (TestCamera stranger = new TestCamera(port)) {
      stranger.hello("cam-1", wrongToken());
      wrong = expectFatal(stranger, ErrorCode.AUTHENTICATION_FAILED);
    }
    assertEquals(
        unknown.replace("cam-2", "<id>"), wrong.replace("cam-1", "<id>"), "one answer for both");
    assertEquals(0, server.connectedCameras());
    assertEquals(0, server.metrics().frames());
  }

  @Test
  void shouldAcceptATokenlessCameraWithAWarning() throws Exception {
    start(CAMERAS);
    assertTrue(
        warnings.stream().anyMatch(w -> w.contains("without a token") && w.contains("cam-9")),
        "named at start: " + warnings);
    warnings.clear();
    try (TestCamera cam = TestCamera.connected(port, "cam-9", new byte[0])) {
      judged(cam, 1);
      assertTrue(
          warnings.stream().anyMatch(w -> w.contains("cam-9") && w.contains("without a token")),
          "warned on connect: " + warnings);
      // A tokenless id proves nothing, so it cannot take over: the first holder keeps it.
      try (TestCamera second = new TestCamera(port)) {
        second.hello("cam-9", new byte[0]);
        expectFatal(second, ErrorCode.CAMERA_ID_IN_USE);
      }
      judged(cam, 2);
    }
    try (TestCamera withToken = new TestCamera(port)) {
      withToken.hello("cam-9", TOKEN);
      expectFatal(withToken, ErrorCode.AUTHENTICATION_FAILED);
    }
  }

  @Test
  void shouldServeAnyIdOnAnOpenPortAndSayLoudlyThatItIsOpen() throws Exception {
    start(null);
    assertTrue(
        warnings.stream()
            .anyMatch(
                w ->
                    w.contains("camera port is open: any client may claim any camera id")
                        && w.contains("configure ingest.cameras")),
        warnings.toString());
    try (TestCamera cam = TestCamera.connected(port, "any-id", "not a secret".getBytes())) {
      judged(cam, 1);
      try (TestCamera second = TestCamera.connected(port, "cam-1", new byte[0])) {
        judged(second, 1);
      }
      try (TestCamera same = new TestCamera(port)) {
        same.hello("any-id", TOKEN);
        expectFatal(same, ErrorCode.CAMERA_ID_IN_USE); // today's rule on an open port
      }
      judged(cam, 2);
    }
    assertEquals(0, server.metrics().errors(ErrorCode.AUTHENTICATION_FAILED));
  }

  @Test
  void shouldArchiveTwoConnectionsPartsOfTheSameIdentityAsTwoFiles(@TempDir Path dir)
      throws Exception {
    ImageArchive archive = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 30, 8), dir);
    long captureUs = 1_700_000_000_000_000L;
    try {
      start(null, archive); // the open port: two connections may well send the same identity
      try (TestCamera first = TestCamera.connected(port, "cam-1")) {
        first.mono8(7, 255, captureUs);
        assertEquals(Verdict.FAIL, first.read().verdict().verdict());
      }
      await(() -> archive.saved() == 1, "the first image archived");
      await(() -> server.connectedCameras() == 0, "the first connection gone");
      try (TestCamera second = TestCamera.connected(port, "cam-1")) {
        second.mono8(7, 254, captureUs); // same camera, sequence and capture time; other pixels
        assertEquals(Verdict.FAIL, second.read().verdict().verdict());
      }
      await(() -> archive.saved() + archive.failed() == 2, "the second image handled");
      assertEquals(0, archive.failed());
    } finally {
      archive.close();
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    List<Path> saved = ImageArchive.filesOf(dir, "cam-1", 7, captureUs);
    assertEquals(2, files.size(), "two files: " + files);
    assertEquals(java.util.Set.copyOf(files), java.util.Set.copyOf(saved));
    assertEquals(255, firstPixel(saved.get(0)), "the first part's image, kept under its name");
    assertEquals(254, firstPixel(saved.get(1)), "the second beside it");
  }

  private static int firstPixel(Path png) throws Exception {
    return javax.imageio.ImageIO.read(png.toFile()).getRaster().getSample(0, 0, 0);
  }
}
