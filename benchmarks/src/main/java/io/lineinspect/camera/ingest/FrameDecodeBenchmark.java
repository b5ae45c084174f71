package io.lineinspect.camera.ingest;

import io.lineinspect.bench.NoWorkPipelines;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
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
 * Protocol v1 FRAME decode per frame size, by the real decoder: {@link CameraConnection#decode} on
 * one reused direct receive buffer holding one FRAME, after a HELLO. That is everything the I/O
 * thread does per frame: header checks, flyweight wrap, field validation, and the publish into the
 * pipeline's ring (claim, copy of the payload into the entry's byte[], publish). The pipeline runs
 * with the no-work backend; its verdicts go to a closed channel (counted undeliverable), so no
 * reply is encoded here. Before each call the ring is let drain (untimed, {@code
 * Level.Invocation}): on 2 cores the no-work pipeline judges small frames slower than the decoder
 * publishes them, and the OVERLOAD path would be measured instead; {@code overloadShare}, printed
 * after the run, is 0. {@code baselineCopy} is the payload copy alone: decode overhead = the
 * difference. Nothing is allocated per frame ({@code -prof gc}).
 *
 * <p>In this package (not {@code io.lineinspect.bench}) to reach the package-private decoder.
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

  private InspectionPipeline pipeline;
  private CameraConnection decoder;
  private ChannelHandlerContext ctx;
  private final List<Object> out = new ArrayList<>(0);
  private ByteBuf in;
  private byte[] entryPayload;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] pixels = new byte[side * side];
    new SplittableRandom(1).nextBytes(pixels);
    pipeline = NoWorkPipelines.started(64, pixels.length);
    CameraServer server =
        new CameraServer(
            new IngestConfig("127.0.0.1", 0, pixels.length + 1024, 60_000, 1, "nio", null),
            new LineConfig("bench", 10_000, Verdict.FAIL),
            pipeline,
            NanoClock.SYSTEM);
    ctx = closedChannelContext();
    decoder = new CameraConnection(server);
    decoder.handlerAdded(ctx);
    ByteBuf hello = Unpooled.buffer();
    Messages.writeHello(hello, "bench-cam", new byte[0]);
    decoder.decode(ctx, hello, out);
    hello.release();
    in = Unpooled.directBuffer(pixels.length + 64);
    FrameFlyweight.writeMessage(
        in, 42, 1_700_000_000_000_000L, true, 4200, side, side, 1, pixels, 0, pixels.length);
    entryPayload = new byte[pixels.length];
  }

  /**
   * A context on a closed channel: the decoder's replies (the HELLO_ACK) are released unread, and
   * the session's verdicts find the channel inactive and are counted, not encoded.
   */
  private static ChannelHandlerContext closedChannelContext() {
    Channel closed = new EmbeddedChannel();
    closed.close();
    return (ChannelHandlerContext)
        Proxy.newProxyInstance(
            FrameDecodeBenchmark.class.getClassLoader(),
            new Class<?>[] {ChannelHandlerContext.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "channel" -> closed;
                  case "alloc" -> PooledByteBufAllocator.DEFAULT;
                  case "voidPromise" -> closed.voidPromise();
                  case "write", "writeAndFlush" -> {
                    ReferenceCountUtil.release(args[0]);
                    yield null;
                  }
                  case "close", "flush" -> null;
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  case "toString" -> "closed-channel context";
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pipeline.close(5_000);
    long published = pipeline.metrics().snapshot().verdicts();
    long overload =
        pipeline
            .metrics()
            .snapshot()
            .byReason()
            .getOrDefault(io.lineinspect.core.decide.ReasonCode.OVERLOAD, 0L);
    System.out.printf(
        "%nside %d: overloadShare %.3f of %d frames%n",
        side, published == 0 ? 0.0 : (double) overload / published, published);
    in.release();
  }

  /** Untimed: the ring is empty before each frame, as on a line that keeps up. */
  @Setup(Level.Invocation)
  public void drained() {
    while (pipeline.inFlight() > 0) {
      Thread.onSpinWait();
    }
  }

  @Benchmark
  public int decodeFrame() {
    in.readerIndex(0);
    decoder.decode(ctx, in, out);
    return in.readerIndex();
  }

  @Benchmark
  public byte[] baselineCopy() {
    in.getBytes(ProtocolV1.HEADER_BYTES + FrameFlyweight.PAYLOAD_OFFSET, entryPayload);
    return entryPayload;
  }
}
