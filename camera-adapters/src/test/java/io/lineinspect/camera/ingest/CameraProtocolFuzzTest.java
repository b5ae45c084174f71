package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lineinspect.camera.auth.CameraAuth;
import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Fuzz target for the camera port: any byte stream into the real decoder ({@link CameraConnection}
 * on Netty's {@code EmbeddedChannel}, in front of a real pipeline judged by {@link
 * ScriptedBackend}) leads to valid processing or a fatal protocol ERROR and the close; never an
 * exception reaching the handler, a close without a fatal ERROR, a reply that is not a well-formed
 * service message, a message after the fatal ERROR, a received frame without exactly one verdict,
 * or a frame refused with a (non-fatal) ERROR that is not answered fail-safe.
 *
 * <p>Input: byte 0 bit 7 prepends a valid HELLO (so mutations reach FRAME and HEARTBEAT), bit 6
 * configures {@code ingest.cameras} (that HELLO then carries the right token), bits 0–5 + 1 are the
 * read size (the stream arrives in chunks of that many bytes, so every message is split); the rest
 * is the stream. The default test run replays {@code
 * src/test/resources/io/lineinspect/camera/ingest/CameraProtocolFuzzTestInputs/<method>/}; {@code
 * JAZZER_FUZZ=1 ./mvnw -pl camera-adapters -am test -Dtest=CameraProtocolFuzzTest} fuzzes
 * (docs/security.md#fuzzed-parsers-of-untrusted-input).
 */
class CameraProtocolFuzzTest {
  private static final String CAMERA = "fuzz-cam";
  private static final String SECRET = "9f86d081884c7d659a2feaa0c55ad015";
  private static final int MAX_MESSAGE = 64 * 1024;
  private static final IngestConfig INGEST =
      new IngestConfig("127.0.0.1", 0, MAX_MESSAGE, 10_000, 1, "nio", null);
  private static final CameraAuth CREDENTIALS =
      CameraAuth.of(Map.of(CAMERA, new CameraCredentialConfig(SECRET, null, null)), Path.of(""));

  /** Exceptions that reached {@link CameraConnection#exceptionCaught} (logged "… failed: …"). */
  private static final List<String> FAILURES = new java.util.concurrent.CopyOnWriteArrayList<>();

  static {
    Logger.getLogger(CameraConnection.class.getName())
        .addHandler(
            new Handler() {
              @Override
              public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("failed: {1}")) {
                  Object[] p = r.getParameters();
                  FAILURES.add(p != null && p.length > 1 ? String.valueOf(p[1]) : r.getMessage());
                }
              }

              @Override
              public void flush() {}

              @Override
              public void close() {}
            });
  }

  @FuzzTest(maxDuration = "60s")
  void anyCameraStreamIsServedOrRefusedWithAFatalError(byte[] input) {
    if (input.length < 1) {
      return;
    }
    boolean hello = (input[0] & 0x80) != 0;
    boolean credentials = (input[0] & 0x40) != 0;
    int chunk = (input[0] & 0x3F) + 1;
    ByteBuf stream = Unpooled.buffer();
    if (hello) {
      Messages.writeHello(
          stream, CAMERA, credentials ? HexFormat.of().parseHex(SECRET) : new byte[0]);
    }
    stream.writeBytes(input, 1, input.length - 1);

    AtomicLong listened = new AtomicLong();
    AtomicLong listenedFailSafe = new AtomicLong();
    InspectionPipeline pipeline =
        new InspectionPipeline(
            new PipelineConfig(64, 1, 8, 1.0, 1024),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            new ScriptedBackend(8),
            v -> {
              listened.incrementAndGet();
              if (v.reason().isFailSafe()) {
                listenedFailSafe.incrementAndGet();
              }
            },
            NanoClock.SYSTEM,
            Thread::new);
    CameraServer server =
        new CameraServer(
            INGEST,
            new LineConfig("fuzz-line", 10_000, Verdict.FAIL),
            pipeline,
            NanoClock.SYSTEM,
            new CameraClocks(10_000, RejectScheduler::systemEpochMicros),
            credentials ? CREDENTIALS : CameraAuth.open());
    FAILURES.clear();
    EmbeddedChannel channel = new EmbeddedChannel(new CameraConnection(server));
    List<ByteBuf> fed = new ArrayList<>();
    ByteBuf out = Unpooled.buffer();
    try {
      // Not started: the decoder runs on this thread alone (the embedded event loop); the frames
      // wait in the ring until the pipeline starts below.
      while (stream.isReadable() && channel.isActive()) {
        ByteBuf piece = stream.readRetainedSlice(Math.min(chunk, stream.readableBytes()));
        fed.add(piece);
        channel.writeInbound(piece);
        channel.checkException();
      }
      boolean closedByService = !channel.isActive();
      long frames = server.metrics().frames();
      pipeline.start();
      pipeline.close(5_000); // judges and emits every frame, joins its threads: happens-before
      channel.runPendingTasks();
      for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
        out.writeBytes(b);
        b.release();
      }
      channel.checkException();
      assertTrue(FAILURES.isEmpty(), "an exception reached the handler: " + FAILURES);

      long verdicts = 0;
      long failSafeVerdicts = 0;
      long frameErrors = 0;
      boolean fatal = false;
      VerdictFlyweight v = new VerdictFlyweight();
      while (out.isReadable()) {
        assertFalse(fatal, "nothing follows a fatal ERROR");
        assertTrue(out.readableBytes() >= ProtocolV1.HEADER_BYTES, "a whole header");
        assertEquals(ProtocolV1.MAGIC, out.readUnsignedShort());
        assertEquals(ProtocolV1.VERSION, out.readUnsignedByte());
        int type = out.readUnsignedByte();
        long length = out.readUnsignedInt();
        assertTrue(out.readableBytes() >= length, "a whole body");
        ByteBuf body = out.readSlice((int) length);
        switch (type) {
          case ProtocolV1.TYPE_HELLO_ACK, ProtocolV1.TYPE_HEARTBEAT -> {}
          case ProtocolV1.TYPE_VERDICT -> {
            v.wrap(body, 0, body.readableBytes());
            verdicts++;
            if (v.failSafe()) {
              failSafeVerdicts++;
            }
            assertTrue(v.verdict() == Verdict.FAIL || !v.failSafe(), "a fail-safe verdict FAILs");
          }
          case ProtocolV1.TYPE_ERROR -> {
            ErrorCode code = ErrorCode.fromCode(body.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
            assertTrue(code != null, "a documented error code");
            boolean isFatal =
                (body.getUnsignedByte(Messages.ERROR_FLAGS_OFFSET) & Messages.ERROR_FLAG_FATAL)
                    != 0;
            assertEquals(code.fatal(), isFatal, code + ": fatal flag");
            fatal |= isFatal;
            if (!isFatal) {
              frameErrors++;
            }
          }
          default -> throw new AssertionError("the service sent message type " + type);
        }
      }
      assertEquals(closedByService, fatal, "closed by the service if and only if a fatal ERROR");
      assertEquals(frames, listened.get(), "exactly one verdict per received frame (listeners)");
      assertTrue(listenedFailSafe.get() >= frameErrors, "every refused frame answered fail-safe");
      if (!closedByService) {
        assertEquals(frames, verdicts, "exactly one VERDICT per frame on the connection");
        assertTrue(failSafeVerdicts >= frameErrors, "every refused frame got a fail-safe VERDICT");
      }
    } finally {
      pipeline.close();
      channel.finishAndReleaseAll();
      out.release();
      stream.release();
      for (ByteBuf b : fed) {
        assertEquals(0, b.refCnt(), "the decoder released every buffer it was given");
      }
    }
  }
}
