package io.lineinspect.camera.ingest;

import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.LineWarmUp;
import io.lineinspect.core.time.NanoClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The camera port's part of the warm start: before the real camera port opens, the service talks
 * protocol v1 to itself over a private loopback connection, so the first real camera meets a warm
 * transport, codec, admission, verdict encoding and flush path instead of interpreted code (without
 * it, the JIT compiled Netty's read path during the line's first seconds, beside the model on the
 * same cores, and the first second's parts failed safe: {@code docs/architecture.md#warm-start}).
 *
 * <p>A {@link CameraServer#forWarmUp warm-up server} is bound on {@code 127.0.0.1} at a free port;
 * the only client is this class's own blocking socket, which sends HELLO, HEARTBEATs and the
 * synthetic parts of the pipeline warm-up in bursts of 1 up to the largest batch, reads every
 * VERDICT and checks exactly one per frame, in order. Its session is a warm-up source: verdicts
 * reach the listeners' dry run only (no audit record, no archived image, no reject, no metric of
 * the real server). The warm-up server is closed before the real one binds.
 *
 * <p>Threading: {@link #run} on the thread that starts the service, after the pipeline warm-up and
 * before the camera port opens.
 */
public final class IngestWarmUp {
  /**
   * The camera id of the warm-up connection (never a real camera's: a real one cannot reach it).
   */
  static final String CAMERA_ID = "warm-up";

  private static final int READ_TIMEOUT_MS = 10_000;

  private IngestWarmUp() {}

  /**
   * What the ingest warm-up did.
   *
   * @param millis wall time, bind to close
   * @param frames frames sent
   * @param failSafe frames whose verdict was fail-safe (synthetic parts: the path was slow)
   * @param port the loopback port it used, closed again when {@link #run} returns
   */
  public record Result(long millis, int frames, int failSafe, int port) {
    /** One line for the log. */
    public String describe() {
      return frames + " frames over loopback in " + millis + " ms, " + failSafe + " fail-safe";
    }
  }

  /**
   * Runs the ingest warm-up.
   *
   * @param ingest the line's ingest settings (the warm-up server copies them, listening on loopback
   *     at a free port, without the per-camera frame-rate ceiling)
   * @param frames the synthetic parts, sent in turn
   * @param count how many frames to send
   * @param largestBatch bursts go from 1 to this many frames
   * @throws IllegalStateException when the service does not answer as protocol v1 promises (a
   *     verdict missing, out of order or unreadable): the camera path is broken, do not open it
   */
  public static Result run(
      IngestConfig ingest,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      List<LineWarmUp.Frame> frames,
      int count,
      int largestBatch)
      throws InterruptedException {
    return run(ingest, line, pipeline, clock, frames, count, largestBatch, CameraTls.off());
  }

  /**
   * As above, on a camera port with TLS ({@code ingest.tls}): the warm-up server speaks TLS with
   * the same certificate and protocols ({@link CameraTls#forWarmUp}: no client certificate asked,
   * the service holds no camera's), and the warm-up's client trusts exactly that certificate, so
   * the handshake and the record layer are compiled before the first real camera too.
   *
   * @param tls the real port's TLS, or {@link CameraTls#off()}
   */
  public static Result run(
      IngestConfig ingest,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      List<LineWarmUp.Frame> frames,
      int count,
      int largestBatch,
      CameraTls tls)
      throws InterruptedException {
    if (frames.isEmpty() || count <= 0) {
      return new Result(0, 0, 0, 0);
    }
    long t0 = System.nanoTime();
    IngestConfig own =
        ingest
            .listeningOn(InetAddress.getLoopbackAddress().getHostAddress(), 0)
            .withLimits(
                ingest.maxConnections(),
                ingest.maxConnectionsPerAddress(),
                ingest.helloTimeoutMs(),
                ingest.messageTimeoutMs(),
                ingest.maxBufferedBytes(),
                0);
    CameraServer server = CameraServer.forWarmUp(own, line, pipeline, clock, tls);
    int port = server.start();
    int failSafe;
    try (Socket tcp = new Socket();
        Socket socket = tls.enabled() ? overTls(tcp, tls, port) : tcp) {
      if (!tls.enabled()) {
        connect(tcp, port);
      }
      failSafe =
          converse(
              socket.getOutputStream(),
              new DataInputStream(socket.getInputStream()),
              frames,
              count,
              Math.max(1, largestBatch));
    } catch (IOException e) {
      throw new IllegalStateException("ingest warm-up over loopback failed: " + e, e);
    } finally {
      server.close();
    }
    return new Result(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), count, failSafe, port);
  }

  private static void connect(Socket tcp, int port) throws IOException {
    tcp.setTcpNoDelay(true);
    tcp.setSoTimeout(READ_TIMEOUT_MS);
    tcp.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), READ_TIMEOUT_MS);
  }

  private static Socket overTls(Socket tcp, CameraTls tls, int port) throws IOException {
    connect(tcp, port);
    javax.net.ssl.SSLSocket s =
        (javax.net.ssl.SSLSocket)
            tls.selfTrustingClient()
                .getSocketFactory()
                .createSocket(tcp, InetAddress.getLoopbackAddress().getHostAddress(), port, true);
    s.setEnabledProtocols(tls.protocols().toArray(String[]::new));
    s.startHandshake();
    return s;
  }

  private static int converse(
      OutputStream out, DataInputStream in, List<LineWarmUp.Frame> frames, int count, int largest)
      throws IOException {
    ByteBuf buf = Unpooled.buffer(1 << 16);
    Messages.writeHello(buf, CAMERA_ID, new byte[0]);
    send(buf, out);
    expect(in, ProtocolV1.TYPE_HELLO_ACK, -1);
    int failSafe = 0;
    long sequence = 0;
    int burst = 1;
    while (sequence < count) {
      int n = (int) Math.min(burst, count - sequence);
      Messages.writeHeartbeat(buf, System.currentTimeMillis() * 1000);
      for (int i = 0; i < n; i++) {
        writeFrame(buf, sequence + i, frames.get((int) ((sequence + i) % frames.size())));
      }
      send(buf, out);
      for (int i = 0; i < n; i++) {
        if (expect(in, ProtocolV1.TYPE_VERDICT, sequence + i)) {
          failSafe++;
        }
      }
      sequence += n;
      burst = burst == largest ? 1 : burst + 1;
    }
    return failSafe;
  }

  private static void writeFrame(ByteBuf buf, long sequence, LineWarmUp.Frame f) {
    byte[] payload = f.payload();
    Messages.writeHeader(buf, ProtocolV1.TYPE_FRAME, FrameFlyweight.FIXED_BYTES + payload.length);
    buf.writeLong(sequence);
    buf.writeLong(System.currentTimeMillis() * 1000);
    buf.writeLong(0); // encoder position: none
    buf.writeShort(f.width());
    buf.writeShort(f.height());
    buf.writeByte(f.format().code());
    buf.writeByte(0); // flags
    buf.writeShort(0); // reserved
    buf.writeInt(payload.length);
    buf.writeBytes(payload);
  }

  private static void send(ByteBuf buf, OutputStream out) throws IOException {
    out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
    out.flush();
    buf.clear();
  }

  /**
   * Reads messages until one of {@code type} (HEARTBEAT echoes are skipped); for a VERDICT, checks
   * its sequence and returns whether it was fail-safe.
   */
  private static boolean expect(DataInputStream in, int type, long sequence) throws IOException {
    while (true) {
      byte[] header = new byte[ProtocolV1.HEADER_BYTES];
      in.readFully(header);
      ByteBuf h = Unpooled.wrappedBuffer(header);
      int got = h.getUnsignedByte(ProtocolV1.TYPE_OFFSET);
      long length = h.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET);
      if (h.getUnsignedShort(ProtocolV1.MAGIC_OFFSET) != ProtocolV1.MAGIC || length > 1 << 20) {
        throw new IOException("not a protocol v1 message (type " + got + ", " + length + " bytes)");
      }
      byte[] body = new byte[(int) length];
      in.readFully(body);
      ByteBuf b = Unpooled.wrappedBuffer(body);
      if (got == ProtocolV1.TYPE_HEARTBEAT) {
        continue;
      }
      if (got == ProtocolV1.TYPE_ERROR) {
        String message = Messages.readString(b, Messages.ERROR_MESSAGE_OFFSET, (int) length);
        if ((b.getUnsignedByte(Messages.ERROR_FLAGS_OFFSET) & Messages.ERROR_FLAG_FATAL) != 0) {
          throw new IOException("the service refused the warm-up connection: " + message);
        }
        continue; // a non-fatal ERROR precedes its frame's VERDICT
      }
      if (got != type) {
        throw new IOException("expected message type " + type + ", got " + got);
      }
      if (type != ProtocolV1.TYPE_VERDICT) {
        return false;
      }
      VerdictFlyweight v = new VerdictFlyweight().wrap(b, 0, (int) length);
      if (v.sequence() != sequence) {
        throw new IOException(
            "verdict for frame " + v.sequence() + " where frame " + sequence + " was next");
      }
      return v.failSafe();
    }
  }
}
