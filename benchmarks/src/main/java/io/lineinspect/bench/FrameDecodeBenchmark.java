package io.lineinspect.bench;

import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.frame.PixelFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Protocol v1 FRAME decode per frame size, the steps {@code CameraConnection.decode}/{@code
 * onFrame} take on the I/O thread for every frame: check the 8-byte header (magic, version, type,
 * body length) in a direct receive buffer, wrap the {@link FrameFlyweight} in place, read and
 * validate the fixed fields (payload length, pixel format, raw size), and copy the payload into the
 * ring entry's byte[]. {@code baselineCopy} is that payload copy alone: decode overhead = the
 * difference. Nothing is allocated per frame ({@code -prof gc}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar FrameDecode -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FrameDecodeBenchmark {
  /** Square MONO8 frames: 64² = 4 KiB, 256² = 64 KiB, 1024² = 1 MiB of payload. */
  @Param({"64", "256", "1024"})
  int side;

  private final FrameFlyweight frame = new FrameFlyweight();
  private ByteBuf in;
  private byte[] entryPayload;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] pixels = new byte[side * side];
    new SplittableRandom(1).nextBytes(pixels);
    in = Unpooled.directBuffer(pixels.length + 64);
    FrameFlyweight.writeMessage(
        in, 42, 1_700_000_000_000_000L, true, 4200, side, side, 1, pixels, 0, pixels.length);
    entryPayload = new byte[pixels.length];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    in.release();
  }

  @Benchmark
  public long decodeFrame() {
    int start = in.readerIndex();
    if (in.getUnsignedShort(start + ProtocolV1.MAGIC_OFFSET) != ProtocolV1.MAGIC
        || in.getUnsignedByte(start + ProtocolV1.VERSION_OFFSET) != ProtocolV1.VERSION
        || in.getUnsignedByte(start + ProtocolV1.TYPE_OFFSET) != ProtocolV1.TYPE_FRAME) {
      throw new IllegalStateException("bad header");
    }
    long bodyLength = in.getUnsignedInt(start + ProtocolV1.BODY_LENGTH_OFFSET);
    if (in.readableBytes() < ProtocolV1.HEADER_BYTES + bodyLength) {
      throw new IllegalStateException("short message");
    }
    int body = start + ProtocolV1.HEADER_BYTES;
    frame.wrap(in, body);
    int carried = (int) bodyLength - FrameFlyweight.FIXED_BYTES;
    PixelFormat format = PixelFormat.fromCode(frame.pixelFormatCode());
    int w = frame.width();
    int h = frame.height();
    if (frame.payloadLength() != carried
        || format == null
        || w == 0
        || h == 0
        || (!format.isEncoded() && format.rawPayloadBytes(w, h) != carried)) {
      throw new IllegalStateException("invalid frame");
    }
    in.getBytes(frame.payloadIndex(), entryPayload, 0, carried);
    return frame.sequence() + frame.captureTimeUs() + frame.encoderCount() + entryPayload[0];
  }

  @Benchmark
  public byte[] baselineCopy() {
    in.getBytes(ProtocolV1.HEADER_BYTES + FrameFlyweight.PAYLOAD_OFFSET, entryPayload);
    return entryPayload;
  }
}
