package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real server on loopback, real TCP clients, the whole line path. */
class CameraServerTest {
  private static final int MAX_MESSAGE = 64 * 1024;

  private LoopbackServer line;
  private InspectionPipeline pipeline;
  private CameraServer server;
  private int port;

  private void start(InferenceBackend backend, int idleTimeoutMs) throws Exception {
    start(backend, idleTimeoutMs, "auto");
  }

  private void start(InferenceBackend backend, int idleTimeoutMs, String transport)
      throws Exception {
    start(backend, idleTimeoutMs, transport, null);
  }

  private void start(
      InferenceBackend backend,
      int idleTimeoutMs,
      String transport,
      io.lineinspect.core.emit.VerdictListener listener)
      throws Exception {
    start(backend, idleTimeoutMs, transport, listener, new CameraClocks(10_000, EPOCH_US));
  }

  private static final java.util.function.LongSupplier EPOCH_US =
      io.lineinspect.core.actuate.RejectScheduler::systemEpochMicros;

  private void start(
      InferenceBackend backend,
      int idleTimeoutMs,
      String transport,
      io.lineinspect.core.emit.VerdictListener listener,
      CameraClocks clocks)
      throws Exception {
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, backend)
            .ingest(LoopbackServer.ingest(MAX_MESSAGE, idleTimeoutMs, 2, transport))
            .listener(listener)
            .clocks(clocks)
            .start();
    pipeline = line.pipeline();
    server = line.server();
    port = line.port();
  }

  private void start() throws Exception {
    start(new ScriptedBackend(8), 10_000);
  }

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  @Test
  void shouldGiveEveryFrameExactlyOneVerdictInOrderForSeveralCameras() throws Exception {
    start();
    int cameras = 4;
    int frames = 500;
    ExecutorService pool = Executors.newFixedThreadPool(cameras * 2);
    try {
      List<Future<List<Long>>> results = new ArrayList<>();
      for (int c = 0; c < cameras; c++) {
        TestCamera cam = TestCamera.connected(port, "cam-" + c);
        pool.submit(
            () -> {
              for (int i = 1; i <= frames; i++) {
                cam.mono8(i, i % 2 == 0 ? 255 : 0);
              }
              return null;
            });
        results.add(
            pool.submit(
                () -> {
                  List<Long> seqs = new ArrayList<>();
                  try (cam) {
                    for (int i = 1; i <= frames; i++) {
                      TestCamera.Message m = cam.read();
                      assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), m.toString());
                      VerdictFlyweight v = m.verdict();
                      seqs.add(v.sequence());
                      if (v.reason() == ReasonCode.NONE) {
                        assertEquals(
                            v.sequence() % 2 == 0 ? Verdict.FAIL : Verdict.PASS, v.verdict());
                        assertEquals("scripted", v.strings()[1]);
                        assertEquals("7", v.strings()[2]);
                      }
                    }
                    assertFalse(
                        cam.closedByService(500), "no extra message, connection stays open");
                  }
                  return seqs;
                }));
      }
      for (Future<List<Long>> r : results) {
        List<Long> seqs = r.get(60, TimeUnit.SECONDS);
        assertEquals(frames, seqs.size());
        for (int i = 0; i < frames; i++) {
          assertEquals(i + 1, seqs.get(i), "order");
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals((long) cameras * frames, server.metrics().frames());
  }

  @Test
  void shouldHandTheVerdictsOfFramesBeforeAFatalErrorToTheActuatorsAndTheAudit(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // The listeners are where the reject scheduler and the audit trail take every verdict from:
    // a recording one (standing for the actuators) and the real audit trail.
    List<Long> observed = java.util.Collections.synchronizedList(new ArrayList<>());
    io.lineinspect.core.audit.AuditLog audit =
        new io.lineinspect.core.audit.AuditLog(
            new io.lineinspect.core.config.AuditConfig(
                true, "unused", "segment", 100, 1L << 20, 3600, 1L << 30, 1024),
            dir,
            io.lineinspect.core.actuate.RejectScheduler::systemEpochMicros);
    ScriptedBackend slow = new ScriptedBackend(8).sleeping(TimeUnit.MILLISECONDS.toNanos(30), 0);
    start(
        slow,
        10_000,
        "auto",
        io.lineinspect.core.emit.VerdictListener.all(
            v -> {
              if (v.cameraId().equals("cam-f")) {
                observed.add(v.sequence());
              }
            },
            audit));
    try (TestCamera cam = TestCamera.connected(port, "cam-f")) {
      ByteBuf b = Unpooled.buffer();
      for (int i = 1; i <= 5; i++) {
        byte[] p = new byte[16 * 16];
        io.lineinspect.camera.protocol.FrameFlyweight.writeMessage(
            b, i, 0, false, 0, 16, 16, 1, p, 0, p.length);
      }
      b.writeBytes(header(0x1234, 1, ProtocolV1.TYPE_FRAME, 0)); // bad magic: fatal
      cam.send(b);
      assertTrue(cam.closedByService(), "the fatal error closes the connection");
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (observed.size() < 5 && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    Thread.sleep(100); // nothing more may come
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L), observed, "each of the five verdicts, once, in order");
    audit.close();
    List<String> records = new ArrayList<>();
    try (var files = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path f : files.sorted().toList()) {
        records.addAll(java.nio.file.Files.readAllLines(f));
      }
    }
    for (int i = 1; i <= 5; i++) {
      String key = "\"cam\":\"cam-f\",\"frame\":" + i + ",";
      assertEquals(
          1, records.stream().filter(l -> l.contains(key)).count(), "audit record of frame " + i);
    }
  }

  private static byte[] header(int magic, int version, int type, long bodyLength) {
    ByteBuf b = Unpooled.buffer();
    b.writeShort(magic);
    b.writeByte(version);
    b.writeByte(type);
    b.writeInt((int) bodyLength);
    return b.array().clone();
  }

  private void expectFatal(TestCamera cam, ErrorCode code) throws Exception {
    expectFatal(cam, code, 1);
  }

  /** A fatal ERROR {@code code}, the {@code nth} of its code on this server. */
  private void expectFatal(TestCamera cam, ErrorCode code, long nth) throws Exception {
    TestCamera.Message m = cam.read();
    assertEquals(ProtocolV1.TYPE_ERROR, m.type(), m.toString());
    assertEquals(code, m.errorCode(), m.toString());
    assertTrue(m.fatal());
    assertEquals(ProtocolV1.NO_SEQUENCE, m.errorSequence());
    assertFalse(m.errorMessage().isBlank());
    assertTrue(cam.closedByService(), "fatal error must close the connection");
    assertEquals(nth, server.metrics().errors(code));
  }

  /**
   * A frame error: non-fatal ERROR naming the frame, then its fail-safe verdict; stream goes on.
   */
  private void expectFrameError(TestCamera cam, long seq, ErrorCode code, String inMessage)
      throws Exception {
    TestCamera.Message err = cam.read();
    assertEquals(ProtocolV1.TYPE_ERROR, err.type(), err.toString());
    assertEquals(code, err.errorCode());
    assertFalse(err.fatal());
    assertEquals(seq, err.errorSequence());
    assertTrue(err.errorMessage().contains(inMessage), err.errorMessage());
    TestCamera.Message v = cam.read();
    assertEquals(ProtocolV1.TYPE_VERDICT, v.type(), v.toString());
    assertEquals(seq, v.verdict().sequence());
    assertEquals(Verdict.FAIL, v.verdict().verdict());
    assertTrue(v.verdict().failSafe());
    assertEquals(ReasonCode.BAD_IMAGE, v.verdict().reason());
    assertTrue(Float.isNaN(v.verdict().score()));
    cam.mono8(seq + 1, 0);
    TestCamera.Message next = cam.read();
    assertEquals(ProtocolV1.TYPE_VERDICT, next.type(), "the connection survives a frame error");
    assertEquals(ReasonCode.NONE, next.verdict().reason());
    assertEquals(1, server.metrics().errors(code));
  }

  @Test
  void shouldSayServiceShuttingDownAfterTheLastVerdictWhenClosed() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.mono8(1, 10);
      TestCamera.Message v = cam.read();
      assertEquals(ProtocolV1.TYPE_VERDICT, v.type(), v.toString());
      server.close(); // idempotent: @AfterEach closes it again
      expectFatal(cam, ErrorCode.SERVICE_SHUTTING_DOWN);
    }
  }

  @Test
  void shouldCloseOnWrongMagic() throws Exception {
    start();
    try (TestCamera cam = new TestCamera(port)) {
      cam.raw(header(0x4242, 1, ProtocolV1.TYPE_HELLO, 0));
      expectFatal(cam, ErrorCode.BAD_MAGIC);
    }
  }

  @Test
  void shouldCloseOnUnsupportedVersion() throws Exception {
    start();
    try (TestCamera cam = new TestCamera(port)) {
      cam.raw(header(ProtocolV1.MAGIC, 9, ProtocolV1.TYPE_HELLO, 0));
      expectFatal(cam, ErrorCode.UNSUPPORTED_VERSION);
    }
  }

  @Test
  void shouldCloseWhenTheLengthFieldExceedsTheLimit() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.raw(header(ProtocolV1.MAGIC, 1, ProtocolV1.TYPE_FRAME, MAX_MESSAGE + 1L));
      expectFatal(cam, ErrorCode.MESSAGE_TOO_LARGE);
    }
  }

  @Test
  void shouldCloseOnAnUnknownMessageType() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.raw(header(ProtocolV1.MAGIC, 1, 0x7F, 0));
      expectFatal(cam, ErrorCode.UNKNOWN_MESSAGE_TYPE);
    }
  }

  @Test
  void shouldCloseOnAFrameBeforeHello() throws Exception {
    start();
    try (TestCamera cam = new TestCamera(port)) {
      cam.mono8(1, 0);
      expectFatal(cam, ErrorCode.HELLO_REQUIRED);
    }
    assertEquals(0, pipeline.metrics().snapshot().published());
  }

  @Test
  void shouldCloseOnAnInvalidCameraId() throws Exception {
    start();
    try (TestCamera cam = new TestCamera(port)) {
      cam.hello("cam 1/../etc");
      expectFatal(cam, ErrorCode.INVALID_CAMERA_ID);
    }
    // Ids "." and ".." would name the archive directory itself and its parent.
    String[] ids = {".", "..", ".hidden"};
    for (int i = 0; i < ids.length; i++) {
      try (TestCamera cam = new TestCamera(port)) {
        cam.hello(ids[i]);
        expectFatal(cam, ErrorCode.INVALID_CAMERA_ID, i + 2);
      }
    }
  }

  @Test
  void shouldRefuseASecondConnectionWithTheSameCameraId() throws Exception {
    start();
    try (TestCamera first = TestCamera.connected(port, "cam");
        TestCamera second = new TestCamera(port)) {
      second.hello("cam");
      expectFatal(second, ErrorCode.CAMERA_ID_IN_USE);
      first.mono8(1, 0);
      assertEquals(ProtocolV1.TYPE_VERDICT, first.read().type(), "the first camera is unaffected");
    }
  }

  @Test
  void shouldCloseOnADuplicateHello() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.hello("cam");
      expectFatal(cam, ErrorCode.DUPLICATE_HELLO);
    }
  }

  @Test
  void shouldCloseOnAFrameShorterThanItsFixedPart() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      byte[] h = header(ProtocolV1.MAGIC, 1, ProtocolV1.TYPE_FRAME, 10);
      byte[] msg = new byte[h.length + 10];
      System.arraycopy(h, 0, msg, 0, h.length);
      cam.raw(msg);
      expectFatal(cam, ErrorCode.MALFORMED_MESSAGE);
    }
  }

  @Test
  void shouldFailSafeAFrameWhosePayloadIsShorterThanDeclared() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      ByteBuf b = Unpooled.buffer();
      io.lineinspect.camera.protocol.FrameFlyweight.writeMessage(
          b, 5, 0, false, 0, 16, 16, 1, new byte[256], 0, 256);
      b.setInt(8 + io.lineinspect.camera.protocol.FrameFlyweight.PAYLOAD_LENGTH_OFFSET, 4096);
      cam.send(b);
      expectFrameError(cam, 5, ErrorCode.PAYLOAD_LENGTH_MISMATCH, "4096");
    }
  }

  @Test
  void shouldFailSafeAFrameWhoseSizeDoesNotMatchItsPayload() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.frame(7, 16, 16, 2, new byte[256]); // BGR8 needs 768 bytes
      expectFrameError(cam, 7, ErrorCode.IMAGE_SIZE_MISMATCH, "needs 768");
    }
  }

  @Test
  void shouldFailSafeAFrameWithAnUnknownPixelFormat() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.frame(3, 16, 16, 99, new byte[256]);
      expectFrameError(cam, 3, ErrorCode.UNKNOWN_PIXEL_FORMAT, "99");
    }
  }

  @Test
  void shouldFailSafeAnUndecodableJpeg() throws Exception {
    start(new BuiltinBackend(BuiltinBackendConfig.defaults()), 10_000);
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      byte[] garbage =
          "this is not a jpeg at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      cam.frame(11, 64, 64, 16, garbage);
      expectFrameError(cam, 11, ErrorCode.BAD_IMAGE, "JPEG");
    }
  }

  @Test
  void shouldCountAClientThatDisconnectsMidFrameAndKeepServingOthers() throws Exception {
    start();
    try (TestCamera other = TestCamera.connected(port, "other")) {
      TestCamera cam = TestCamera.connected(port, "cam");
      byte[] h = header(ProtocolV1.MAGIC, 1, ProtocolV1.TYPE_FRAME, 1000);
      cam.raw(h);
      cam.raw(new byte[100]);
      cam.close();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (server.metrics().truncatedAtDisconnect() == 0 && System.nanoTime() - until < 0) {
        Thread.sleep(5);
      }
      assertEquals(1, server.metrics().truncatedAtDisconnect());
      other.mono8(1, 0);
      assertEquals(ProtocolV1.TYPE_VERDICT, other.read().type());
    }
  }

  @Test
  void shouldCountATruncatedHeaderAtDisconnect() throws Exception {
    start();
    TestCamera cam = new TestCamera(port);
    cam.raw(new byte[] {0x4C, 0x49, 0x01});
    cam.close();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.metrics().truncatedAtDisconnect() == 0 && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    assertEquals(1, server.metrics().truncatedAtDisconnect());
  }

  @Test
  void shouldDisconnectACameraThatStaysSilentPastTheIdleTimeout() throws Exception {
    start(new ScriptedBackend(8), 300);
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      expectFatal(cam, ErrorCode.IDLE_TIMEOUT);
    }
  }

  @Test
  void shouldServeCamerasOverTheNioTransportToo() throws Exception {
    start(new ScriptedBackend(8), 10_000, "nio");
    assertEquals("nio", server.transport());
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      for (int i = 1; i <= 20; i++) {
        cam.mono8(i, 255);
      }
      for (int i = 1; i <= 20; i++) {
        VerdictFlyweight v = cam.read().verdict();
        assertEquals(i, v.sequence());
        assertEquals(Verdict.FAIL, v.verdict());
      }
    }
  }

  @Test
  void shouldDisconnectACameraThatStopsReadingItsVerdicts() throws Exception {
    // No frame-rate ceiling: it would pace the deaf camera's flood by TCP, and its verdicts
    // would take minutes to fill the buffers.
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, new ScriptedBackend(8))
            .ingest(
                LoopbackServer.ingest(MAX_MESSAGE, 500, 2, "auto")
                    .withLimits(64, 16, 2_000, 2_000, 128L << 20, 0))
            .start();
    pipeline = line.pipeline();
    server = line.server();
    port = line.port();
    try (TestCamera other = TestCamera.connected(port, "other")) {
      java.net.Socket s = new java.net.Socket();
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port));
      java.io.OutputStream out = s.getOutputStream();
      ByteBuf hello = Unpooled.buffer();
      io.lineinspect.camera.protocol.Messages.writeHello(hello, "deaf", new byte[0]);
      out.write(hello.array(), 0, hello.readableBytes());
      ByteBuf frame = Unpooled.buffer();
      io.lineinspect.camera.protocol.FrameFlyweight.writeMessage(
          frame, 0, 0, false, 0, 4, 4, 1, new byte[16], 0, 16);
      byte[] one = new byte[frame.readableBytes()];
      frame.readBytes(one);
      // 256 frames per write: the kernel's buffers on loopback hold megabytes of verdicts before
      // the connection turns unwritable, and one frame per write took up to 17 s to get there.
      int perWrite = 256;
      byte[] bytes = new byte[one.length * perWrite];
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      try {
        // Frames as fast as possible, verdicts never read: the service's writes back up.
        for (long seq = 1;
            server.metrics().errors(ErrorCode.VERDICTS_NOT_READ) == 0
                && System.nanoTime() - until < 0;
            seq += perWrite) {
          for (int i = 0; i < perWrite; i++) {
            java.nio.ByteBuffer.wrap(one).putLong(8, seq + i);
            System.arraycopy(one, 0, bytes, i * one.length, one.length);
          }
          out.write(bytes);
          if ((seq / perWrite) % 4 == 0) {
            other.mono8(seq, 0); // the other camera keeps being served
            assertEquals(ProtocolV1.TYPE_VERDICT, other.read().type());
          }
        }
      } catch (java.io.IOException expected) {
        // the service closed the deaf camera's connection
      } finally {
        s.close();
      }
      assertEquals(1, server.metrics().errors(ErrorCode.VERDICTS_NOT_READ));
      other.mono8(1_000_000, 0);
      assertEquals(ProtocolV1.TYPE_VERDICT, other.read().type(), "the other camera is unaffected");
    }
  }

  @Test
  void shouldEchoAHeartbeat() throws Exception {
    start();
    try (TestCamera cam = TestCamera.connected(port, "cam")) {
      cam.readTimeoutMs(5_000);
      cam.heartbeat(123456789L);
      // The echo carries the camera's body back; a heartbeat of the service's own (idle) has
      // another body, so read until the echo (a missing echo times out and fails).
      TestCamera.Message echo;
      do {
        echo = cam.readAny();
        assertEquals(ProtocolV1.TYPE_HEARTBEAT, echo.type(), "nothing but heartbeats yet");
      } while (echo.body().readableBytes() != 8 || echo.body().getLong(0) != 123456789L);
      cam.mono8(1, 0); // and the stream is intact after it
      assertEquals(ProtocolV1.TYPE_VERDICT, cam.read().type());
    }
  }

  /** Records each stroke with the moment it fires. */
  private static final class StrokeRecorder implements io.lineinspect.core.actuate.ActuatorOutput {
    record Stroke(String part, long atNs, boolean fromCapture) {}

    final List<Stroke> strokes = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "strokes";
    }

    @Override
    public void start(io.lineinspect.core.actuate.ActuatorEvents events) {}

    @Override
    public void onVerdict(io.lineinspect.core.actuate.RejectOrder order) {}

    @Override
    public void fire(io.lineinspect.core.actuate.RejectOrder order) {
      strokes.add(new Stroke(order.partId(), System.nanoTime(), order.timedFromCapture()));
    }

    @Override
    public void alarm(io.lineinspect.core.actuate.MissCause cause, String partId) {}

    @Override
    public boolean connected() {
      return true;
    }

    @Override
    public void close() {}
  }

  @Test
  void shouldEstimateACameraClockBehindFromItsHeartbeatsAndNeverRejectEarly() throws Exception {
    long behindUs = 80_000;
    long travelMs = 200;
    CameraClocks clocks = new CameraClocks(10_000, EPOCH_US);
    StrokeRecorder out = new StrokeRecorder();
    io.lineinspect.core.actuate.ActuatorMetrics metrics =
        new io.lineinspect.core.actuate.ActuatorMetrics();
    // maxTransitMs 100: the 80 ms of this clock are within the bound, only the heartbeats show it.
    // Late tolerance 30 ms: a cold scheduler's first reject must not be counted LATE here.
    try (io.lineinspect.core.actuate.RejectScheduler rejects =
        new io.lineinspect.core.actuate.RejectScheduler(
            new io.lineinspect.core.config.RejectTimingConfig(
                (double) travelMs, 0.0, "capture", 30.0, 20.0, 100.0, 10_000, 64),
            List.of(out),
            metrics,
            NanoClock.SYSTEM,
            EPOCH_US,
            clocks)) {
      start(new ScriptedBackend(8), 10_000, "auto", rejects, clocks);
      long[] realCaptureNs = new long[6];
      try (TestCamera late = TestCamera.connected(port, "cam-late");
          TestCamera good = TestCamera.connected(port, "cam-good")) {
        for (int i = 0; i < 5; i++) {
          late.heartbeat(EPOCH_US.getAsLong() - behindUs);
          good.heartbeat(EPOCH_US.getAsLong());
          Thread.sleep(10);
        }
        for (int i = 1; i <= 5; i++) {
          realCaptureNs[i] = System.nanoTime();
          late.mono8(i, 255, EPOCH_US.getAsLong() - behindUs);
          good.mono8(i, 255, EPOCH_US.getAsLong());
          assertEquals(ProtocolV1.TYPE_VERDICT, late.read().type());
          assertEquals(ProtocolV1.TYPE_VERDICT, good.read().type());
          Thread.sleep(20);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (out.strokes.size() < 10 && System.nanoTime() - until < 0) {
          Thread.sleep(5);
        }
      }
      assertEquals(10, out.strokes.size(), "every FAIL part fires: " + out.strokes);
      for (StrokeRecorder.Stroke st : out.strokes) {
        int seq = Integer.parseInt(st.part().substring(st.part().indexOf('#') + 1));
        long earlyNs = realCaptureNs[seq] + TimeUnit.MILLISECONDS.toNanos(travelMs) - st.atNs();
        assertTrue(
            earlyNs <= 0, st + " fired " + earlyNs / 1e6 + " ms before its part's gate time");
        assertEquals(st.part().startsWith("cam-good"), st.fromCapture(), st.toString());
      }
      long offsetUs = clocks.offsetUs("cam-late");
      assertTrue(Math.abs(offsetUs - behindUs) < 5_000, "estimated " + offsetUs + " µs");
      assertTrue(Math.abs(clocks.offsetUs("cam-good")) < 5_000);
      assertEquals(5, metrics.clockSkew("cam-late", io.lineinspect.core.actuate.ClockSkew.OFFSET));
      assertEquals(0, metrics.clockSkew("cam-good"));
    }
  }

  @Test
  void shouldStillVerdictFramesInFlightWhenTheCameraDisconnects() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).gated(true);
    start(backend, 10_000);
    TestCamera cam = TestCamera.connected(port, "cam");
    for (int i = 1; i <= 5; i++) {
      cam.mono8(i, 0);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.metrics().frames() < 5 && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    cam.close();
    while (server.metrics().connectionsOpen() > 0 && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    backend.gated(false);
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (pipeline.metrics().snapshot().verdicts() < 5 && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    assertEquals(5, pipeline.metrics().snapshot().verdicts(), "every received frame is judged");
    assertEquals(5, server.metrics().verdictsUndeliverable(), "and counted as undeliverable");
  }
}
