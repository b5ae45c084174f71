package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The protocol v1 codec on Netty's {@link EmbeddedChannel}: the decoder ({@link CameraConnection})
 * fed one byte at a time, so every message is split at every possible offset, and the replies it
 * and {@link CameraSession} encode (HELLO_ACK, HEARTBEAT echo, ERROR, VERDICT). Leaks fail the
 * test: every buffer fed in must end with refCnt 0, every buffer written out with refCnt 1 (owned
 * by the reader), under {@link ResourceLeakDetector.Level#PARANOID}.
 */
class CameraCodecTest {
  private static final int MAX_MESSAGE = 1 << 20;
  private static ResourceLeakDetector.Level previousLevel;

  private InspectionPipeline pipeline;
  private EmbeddedChannel channel;
  private final List<ByteBuf> fed = new ArrayList<>();

  /** A message read back from the channel's outbound side. */
  private record Reply(int type, ByteBuf body) {}

  @BeforeAll
  static void paranoid() {
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @AfterAll
  static void restore() {
    ResourceLeakDetector.setLevel(previousLevel);
  }

  @BeforeEach
  void open() {
    // Not started: frames stay in the ring until a test starts the pipeline, so the decoder runs
    // on the test thread alone (EmbeddedChannel's event loop).
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(256, 1, 8, 1.0, 1024),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            new ScriptedBackend(8),
            null,
            NanoClock.SYSTEM,
            Thread::new);
    CameraServer server =
        new CameraServer(
            new IngestConfig("127.0.0.1", 0, MAX_MESSAGE, 10_000, 1, "nio", null),
            new LineConfig("codec-line", 10_000, Verdict.FAIL),
            pipeline,
            NanoClock.SYSTEM);
    channel = new EmbeddedChannel(new CameraConnection(server));
  }

  @AfterEach
  void close() {
    pipeline.close();
    assertFalse(channel.finishAndReleaseAll(), "every reply was read");
    for (ByteBuf b : fed) {
      assertEquals(0, b.refCnt(), "the decoder released every buffer it was given");
    }
  }

  /**
   * Feeds {@code message} one byte per read, until it ends or the decoder closes the channel, then
   * releases the builder; returns the bytes fed.
   */
  private int feedByteAtATime(ByteBuf message) {
    int n = 0;
    while (message.isReadable() && channel.isActive()) {
      n++;
      ByteBuf one = Unpooled.directBuffer(1).writeByte(message.readByte());
      fed.add(one);
      channel.writeInbound(one);
    }
    message.release();
    return n;
  }

  /** Every reply written so far, parsed from the outbound buffers (released here, exactly once). */
  private List<Reply> replies() {
    channel.runPendingTasks();
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf out; (out = channel.readOutbound()) != null; ) {
      assertEquals(1, out.refCnt(), "an outbound buffer is the reader's to release");
      all.writeBytes(out);
      assertTrue(out.release());
    }
    List<Reply> replies = new ArrayList<>();
    while (all.isReadable()) {
      assertEquals(ProtocolV1.MAGIC, all.readUnsignedShort());
      assertEquals(ProtocolV1.VERSION, all.readUnsignedByte());
      int type = all.readUnsignedByte();
      int length = (int) all.readUnsignedInt();
      replies.add(new Reply(type, all.readBytes(length)));
    }
    return replies;
  }

  private static ByteBuf hello(String camera) {
    ByteBuf b = Unpooled.buffer();
    Messages.writeHello(b, camera, new byte[0]);
    return b;
  }

  private static void frame(ByteBuf b, long seq, int scoreByte) {
    byte[] p = new byte[16 * 16];
    for (int i = 1; i < p.length; i++) {
      p[i] = (byte) (40 + (i * 37) % 160);
    }
    p[0] = (byte) scoreByte;
    FrameFlyweight.writeMessage(b, seq, 1_000 + seq, false, 0, 16, 16, 1, p, 0, p.length);
  }

  @Test
  void shouldAckAHelloOnlyOnceItsLastByteArrived() {
    ByteBuf hello = hello("cam-1");
    int length = hello.readableBytes();
    ByteBuf allButLast = hello.readRetainedSlice(length - 1);
    feedByteAtATime(allButLast);
    assertTrue(replies().isEmpty(), "no reply to a partial HELLO");
    feedByteAtATime(hello);
    List<Reply> r = replies();
    assertEquals(1, r.size());
    assertEquals(ProtocolV1.TYPE_HELLO_ACK, r.get(0).type());
    ByteBuf ack = r.get(0).body();
    assertTrue(ack.readableBytes() >= Messages.HELLO_ACK_FIXED_BYTES);
    assertTrue(ack.toString(io.netty.util.CharsetUtil.UTF_8).contains("codec-line"));
    ack.release();
    assertTrue(channel.isActive());
  }

  @Test
  void shouldEchoAHeartbeatSplitAtEveryByte() {
    ByteBuf early = Unpooled.buffer();
    Messages.writeHeartbeat(early, 7L); // allowed before HELLO, but not echoed before HELLO_ACK
    feedByteAtATime(early);
    assertTrue(replies().isEmpty(), "no HEARTBEAT echo before HELLO_ACK (protocol.md)");
    feedByteAtATime(hello("codec-cam"));
    List<Reply> ack = replies();
    assertEquals(ProtocolV1.TYPE_HELLO_ACK, ack.get(0).type());
    ack.forEach(x -> x.body().release());
    ByteBuf b = Unpooled.buffer();
    Messages.writeHeartbeat(b, 0x0102030405060708L);
    Messages.writeHeartbeat(b, 42L);
    feedByteAtATime(b);
    List<Reply> r = replies();
    assertEquals(2, r.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(ProtocolV1.TYPE_HEARTBEAT, r.get(i).type());
      assertEquals(8, r.get(i).body().readableBytes());
    }
    assertEquals(0x0102030405060708L, r.get(0).body().getLong(0));
    assertEquals(42L, r.get(1).body().getLong(0));
    r.forEach(x -> x.body().release());
  }

  @Test
  void shouldDecodeFramesSplitAtEveryByteAndEncodeTheirVerdictsInOrder() {
    ByteBuf stream = hello("cam-1");
    int frames = 20;
    for (int seq = 1; seq <= frames; seq++) {
      frame(stream, seq, seq % 4 == 0 ? 250 : 10); // ScriptedBackend: score = first byte / 255
    }
    // A frame whose payload length disagrees: a non-fatal ERROR now, a fail-safe verdict later.
    ByteBuf bad = Unpooled.buffer();
    frame(bad, frames + 1, 10);
    bad.setInt(ProtocolV1.HEADER_BYTES + FrameFlyweight.PAYLOAD_LENGTH_OFFSET, 7);
    stream.writeBytes(bad);
    bad.release();
    feedByteAtATime(stream);
    List<Reply> before = replies();
    assertEquals(2, before.size(), "HELLO_ACK and one ERROR before any verdict");
    assertEquals(ProtocolV1.TYPE_HELLO_ACK, before.get(0).type());
    assertEquals(ProtocolV1.TYPE_ERROR, before.get(1).type());
    ByteBuf err = before.get(1).body();
    assertEquals(
        ErrorCode.PAYLOAD_LENGTH_MISMATCH.code(), err.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
    assertEquals(frames + 1, err.getLong(Messages.ERROR_SEQUENCE_OFFSET));
    before.forEach(x -> x.body().release());
    assertEquals(frames + 1, pipeline.inFlight(), "every frame decoded into the ring");

    pipeline.start();
    pipeline.close(5_000); // judges and emits all, then joins its threads: writes happened-before
    List<Reply> verdicts = replies();
    assertEquals(frames + 1, verdicts.size(), "exactly one verdict per frame");
    VerdictFlyweight v = new VerdictFlyweight();
    for (int i = 0; i < verdicts.size(); i++) {
      Reply r = verdicts.get(i);
      assertEquals(ProtocolV1.TYPE_VERDICT, r.type());
      v.wrap(r.body(), 0, r.body().readableBytes());
      long seq = i + 1;
      assertEquals(seq, v.sequence(), "in order");
      if (seq <= frames) {
        assertEquals(seq % 4 == 0 ? Verdict.FAIL : Verdict.PASS, v.verdict(), "frame " + seq);
        assertEquals(ReasonCode.NONE, v.reason());
        assertEquals((seq % 4 == 0 ? 250 : 10) / 255f, v.score(), 1e-6f);
      } else {
        assertEquals(Verdict.FAIL, v.verdict());
        assertTrue(v.failSafe());
        assertEquals(ReasonCode.BAD_IMAGE, v.reason());
      }
      r.body().release();
    }
  }

  @Test
  void shouldSendAFatalErrorAndCloseOnABadMagicEvenWhenItArrivesByteByByte() {
    ByteBuf b = Unpooled.buffer();
    frame(b, 1, 10);
    b.setShort(0, 0x4242);
    assertEquals(ProtocolV1.HEADER_BYTES, feedByteAtATime(b), "judged on its header alone");
    List<Reply> r = replies();
    assertEquals(1, r.size());
    assertEquals(ProtocolV1.TYPE_ERROR, r.get(0).type());
    ByteBuf err = r.get(0).body();
    assertEquals(ErrorCode.BAD_MAGIC.code(), err.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
    assertEquals(
        Messages.ERROR_FLAG_FATAL,
        err.getUnsignedByte(Messages.ERROR_FLAGS_OFFSET) & Messages.ERROR_FLAG_FATAL);
    err.release();
    channel.runPendingTasks();
    assertFalse(channel.isActive(), "closed after the fatal ERROR");
    assertNull(channel.readInbound(), "nothing passed on");
  }
}
