package io.lineinspect.bench;

import io.lineinspect.camera.ingest.CameraServer;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
 * End to end in one process: FRAME bytes written on a loopback TCP connection to the real camera
 * server (Netty ingest, decode, ring, preprocess, batching, backend, decide, emit) until the
 * VERDICT bytes are read back — one frame at a time, so this is the service's latency floor, not
 * its throughput (that is {@code bin/inspect loadgen}). {@code backend}: {@code no-work} scores
 * without looking (transport and pipeline only), {@code builtin} is the model-free heuristic.
 * {@code baselineLoopback} sends an 8-byte HEARTBEAT and reads its echo from the I/O thread: the
 * TCP loopback round trip with no pipeline and no payload.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar EndToEnd</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class EndToEndBenchmark {
  @Param({"64", "256"})
  int side;

  @Param({"no-work", "builtin"})
  String backend;

  private InspectionPipeline pipeline;
  private CameraServer server;
  private Socket socket;
  private DataInputStream in;
  private OutputStream out;
  private ByteBuf frameBuf;
  private ByteBuf heartbeat;
  private byte[] pixels;
  private final byte[] header = new byte[ProtocolV1.HEADER_BYTES];
  private final ByteBuf headerBuf = Unpooled.wrappedBuffer(header);
  private final byte[] body = new byte[1024];
  private final ByteBuf bodyBuf = Unpooled.wrappedBuffer(body);
  private final VerdictFlyweight verdict = new VerdictFlyweight();
  private long sequence;
  private int lastLength;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    InferenceBackend b =
        "builtin".equals(backend)
            ? new BuiltinBackend(BuiltinBackendConfig.defaults())
            : new io.lineinspect.core.inference.builtin.NoWorkBackend(64);
    LineConfig line = new LineConfig("bench", 1000, Verdict.FAIL);
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(1024, 1, 8, 0.0, side * side),
            TimeUnit.MILLISECONDS.toNanos(line.budgetMs()),
            Verdict.FAIL,
            b,
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    server =
        new CameraServer(
            IngestConfig.defaults().listeningOn("127.0.0.1", 0), line, pipeline, NanoClock.SYSTEM);
    int port = server.start();
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    out = socket.getOutputStream();
    ByteBuf hello = Unpooled.buffer(64);
    Messages.writeHello(hello, "bench-cam", new byte[0]);
    out.write(hello.array(), 0, hello.readableBytes());
    if (readMessage() != ProtocolV1.TYPE_HELLO_ACK) {
      throw new IllegalStateException("no HELLO_ACK");
    }
    pixels = new byte[side * side];
    new SplittableRandom(7).nextBytes(pixels);
    frameBuf = Unpooled.buffer(pixels.length + 64);
    heartbeat = Unpooled.buffer(64);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    socket.close();
    server.close();
    pipeline.close();
  }

  @Benchmark
  public long frameToVerdict() throws IOException {
    long seq = ++sequence;
    frameBuf.clear();
    FrameFlyweight.writeMessage(frameBuf, seq, 0, false, 0, side, side, 1, pixels, 0, side * side);
    out.write(frameBuf.array(), 0, frameBuf.readableBytes());
    while (true) {
      int type = readMessage();
      if (type == ProtocolV1.TYPE_VERDICT
          && verdict.wrap(bodyBuf, 0, lastLength).sequence() == seq) {
        return seq;
      }
      if (type == ProtocolV1.TYPE_ERROR) {
        throw new IllegalStateException("service sent ERROR");
      }
    }
  }

  @Benchmark
  public long baselineLoopback() throws IOException {
    heartbeat.clear();
    Messages.writeHeartbeat(heartbeat, ++sequence);
    out.write(heartbeat.array(), 0, heartbeat.readableBytes());
    while (readMessage() != ProtocolV1.TYPE_HEARTBEAT) {
      // skip anything else (none expected)
    }
    return sequence;
  }

  private int readMessage() throws IOException {
    in.readFully(header);
    int length = (int) headerBuf.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET);
    if (length > body.length) {
      throw new IllegalStateException("unexpected message of " + length + " bytes");
    }
    in.readFully(body, 0, length);
    lastLength = length;
    return headerBuf.getUnsignedByte(ProtocolV1.TYPE_OFFSET);
  }
}
