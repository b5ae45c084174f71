package io.lineinspect.sim;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageIO;

/**
 * A line camera over a real TCP connection: renders parts with a {@link PartRenderer}, sends them
 * as protocol v1 FRAMEs on a fixed schedule (open loop: the next frame goes out on time whether or
 * not verdicts came back), reads VERDICTs on the same connection and scores them against the
 * renderer's ground truth in a shared {@link SimStats}.
 *
 * <p>Threads: {@code camsim-<id>-tx} sends, {@code camsim-<id>-rx} receives. Public methods are
 * called by the owner's thread.
 */
public final class SimulatedCamera implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SimulatedCamera.class.getName());
  private static final int WINDOW = 1 << 16;
  private static final long HEARTBEAT_EVERY_NS = TimeUnit.SECONDS.toNanos(2);
  private static final long CLOCK_EVERY_NS = TimeUnit.SECONDS.toNanos(1);

  /** Frames already due are written together up to this many bytes (one system call). */
  private static final int COALESCE_BYTES = 1 << 16;

  /** How one simulated camera renders and paces its frames. */
  public record Settings(
      int width, int height, PixelFormat format, double fps, double defectRate, long seed) {
    public Settings {
      if (!(fps > 0 && fps <= 100_000)) {
        throw new IllegalArgumentException("fps must be within (0, 100000], got " + fps);
      }
      if (format == null) {
        throw new IllegalArgumentException("format is required");
      }
    }
  }

  /** When frames are due: evenly spaced, or a Poisson process (bursty) with the same mean rate. */
  public enum Arrival {
    CONSTANT,
    POISSON
  }

  /**
   * How a load-generating camera sends, instead of rendering in its send loop: frames from a
   * pre-rendered {@code pool}, due from {@code startNs} (a {@link System#nanoTime()} value shared
   * by the cameras of a run) by {@code arrival} at {@link Settings#fps()}. Frames due before {@code
   * measureFromNs} are warm-up: they are scored into {@code warmUpStats}, not into the run's stats.
   * No frame is due at or after {@code endNs}. The pool's frame size and format replace those of
   * the settings.
   */
  public record Traffic(
      FramePool pool,
      Arrival arrival,
      long startNs,
      long measureFromNs,
      long endNs,
      SimStats warmUpStats) {
    public Traffic {
      if (pool == null || arrival == null || warmUpStats == null) {
        throw new IllegalArgumentException("pool, arrival and warmUpStats are required");
      }
    }
  }

  private final String cameraId;
  private final Settings settings;
  private final SimStats stats;
  private final Traffic traffic;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final long[] sentNs = new long[WINDOW];
  private final long[] sentSeq = new long[WINDOW];
  private final boolean[] defective = new boolean[WINDOW];
  private final boolean[] answered = new boolean[WINDOW];
  private final boolean[] warmUp = new boolean[WINDOW];
  private final Thread sender;
  private final Thread receiver;
  private volatile boolean sending = true;
  private volatile boolean closed;
  private volatile long lastSent;
  private volatile long lastAnswered;
  private volatile long answeredCount; // written by the receiver thread only
  private volatile long answeredAtShutdown = -1;
  private volatile String fatalError;
  private int budgetMs;

  /**
   * Connects and completes the handshake.
   *
   * @throws IOException when the service cannot be reached or refuses the camera (the message says
   *     why)
   */
  public SimulatedCamera(String host, int port, String cameraId, Settings settings, SimStats stats)
      throws IOException {
    this(host, port, cameraId, settings, stats, null);
  }

  /**
   * Connects and completes the handshake; with {@code traffic} non-null the camera sends the pool's
   * frames on the traffic's schedule (see {@link Traffic}), else it renders parts at a constant
   * rate.
   *
   * @throws IOException when the service cannot be reached or refuses the camera (the message says
   *     why)
   */
  public SimulatedCamera(
      String host, int port, String cameraId, Settings settings, SimStats stats, Traffic traffic)
      throws IOException {
    this(host, port, cameraId, settings, stats, traffic, new byte[0]);
  }

  /**
   * Connects and completes the handshake, proving {@code cameraId} with {@code token} in HELLO (the
   * camera's secret, {@code ingest.cameras}; empty for an open camera port); otherwise as {@link
   * #SimulatedCamera(String, int, String, Settings, SimStats, Traffic)}.
   *
   * @throws IOException when the service cannot be reached or refuses the camera (the message says
   *     why: a wrong or missing token is AUTHENTICATION_FAILED)
   */
  public SimulatedCamera(
      String host,
      int port,
      String cameraId,
      Settings settings,
      SimStats stats,
      Traffic traffic,
      byte[] token)
      throws IOException {
    this(host, port, cameraId, settings, stats, traffic, token, null);
  }

  /**
   * As {@link #SimulatedCamera(String, int, String, Settings, SimStats, Traffic, byte[])}, over TLS
   * when {@code tls} is not null ({@code ingest.tls}): the service's certificate is verified
   * against the context's trust and must name {@code host}; the context's key, if any, is the
   * camera's client certificate (mutual TLS).
   *
   * @throws IOException when the service cannot be reached, the TLS handshake fails (the message
   *     says why), or the service refuses the camera
   */
  public SimulatedCamera(
      String host,
      int port,
      String cameraId,
      Settings settings,
      SimStats stats,
      Traffic traffic,
      byte[] token,
      javax.net.ssl.SSLContext tls)
      throws IOException {
    this.cameraId = cameraId;
    this.settings = settings;
    this.stats = stats;
    this.traffic = traffic;
    Socket plain = new Socket();
    plain.setTcpNoDelay(true);
    plain.connect(new InetSocketAddress(host, port), 5_000);
    if (tls != null) {
      javax.net.ssl.SSLSocket s =
          (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
      javax.net.ssl.SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(p);
      s.setSoTimeout(5_000);
      try {
        s.startHandshake();
      } catch (IOException e) {
        s.close();
        throw new IOException(
            "TLS handshake with " + host + ":" + port + " failed for camera " + cameraId + ": " + e,
            e);
      }
      socket = s;
    } else {
      socket = plain;
    }
    in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
    out = socket.getOutputStream();
    handshake(token);
    sender = new Thread(this::sendLoop, "camsim-" + cameraId + "-tx");
    receiver = new Thread(this::receiveLoop, "camsim-" + cameraId + "-rx");
    sender.setDaemon(true);
    receiver.setDaemon(true);
    receiver.start();
    sender.start();
  }

  private void handshake(byte[] token) throws IOException {
    ByteBuf hello = Unpooled.buffer(128 + token.length);
    Messages.writeHello(hello, cameraId, token);
    out.write(hello.array(), hello.arrayOffset(), hello.readableBytes());
    java.util.Arrays.fill(hello.array(), (byte) 0);
    out.flush();
    socket.setSoTimeout(5_000);
    try {
      byte[] header = new byte[ProtocolV1.HEADER_BYTES];
      in.readFully(header);
      ByteBuf h = Unpooled.wrappedBuffer(header);
      int type = h.getUnsignedByte(ProtocolV1.TYPE_OFFSET);
      byte[] body = new byte[(int) h.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET)];
      in.readFully(body);
      ByteBuf b = Unpooled.wrappedBuffer(body);
      if (type == ProtocolV1.TYPE_ERROR) {
        throw new IOException(
            "service refused camera "
                + cameraId
                + ": "
                + ErrorCode.fromCode(b.getUnsignedShort(Messages.ERROR_CODE_OFFSET))
                + ": "
                + Messages.readString(b, Messages.ERROR_MESSAGE_OFFSET, body.length));
      }
      if (type != ProtocolV1.TYPE_HELLO_ACK) {
        throw new IOException("expected HELLO_ACK, got message type " + type);
      }
      budgetMs = b.getInt(4);
    } catch (SocketTimeoutException e) {
      socket.close();
      throw new IOException("no HELLO_ACK from the service within 5 s", e);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    socket.setSoTimeout(0);
  }

  /** The budget the service announced in HELLO_ACK. */
  public int budgetMs() {
    return budgetMs;
  }

  public String cameraId() {
    return cameraId;
  }

  private void sendLoop() {
    FramePool pool = traffic == null ? null : traffic.pool();
    PartRenderer renderer =
        pool != null
            ? null
            : new PartRenderer(
                settings.width(), settings.height(), settings.seed(), settings.defectRate());
    PixelFormat format = pool != null ? pool.format() : settings.format();
    int width = pool != null ? pool.width() : settings.width();
    int height = pool != null ? pool.height() : settings.height();
    PixelFormat raw = format.isEncoded() ? PixelFormat.BGR8 : format;
    byte[] pixels = pool != null ? null : new byte[(int) raw.rawPayloadBytes(width, height)];
    int frameBytes = pool != null ? pool.maxPayloadBytes() : pixels.length;
    ByteBuf frame = Unpooled.buffer(Math.max(frameBytes + 64, Math.min(COALESCE_BYTES, 1 << 20)));
    double periodNs = 1e9 / settings.fps();
    boolean poisson = traffic != null && traffic.arrival() == Arrival.POISSON;
    SplittableRandom random = new SplittableRandom(settings.seed());
    long start = traffic != null ? traffic.startNs() : System.nanoTime();
    long measureFrom = traffic != null ? traffic.measureFromNs() : 0;
    long end = traffic != null ? traffic.endNs() : 0;
    long lastWriteNs = System.nanoTime();
    long lastClockNs = lastWriteNs - CLOCK_EVERY_NS - 1;
    // Capture times are on the wall clock (epoch µs), taken at the scheduled capture moment.
    long epochAtStartUs = epochMicros() - (System.nanoTime() - start) / 1_000;
    long seq = 0;
    double offsetNs = 0;
    long due = start;
    try {
      while (sending) {
        long now;
        while ((now = System.nanoTime()) - due < 0 && sending) {
          if (now - lastWriteNs > HEARTBEAT_EVERY_NS) {
            frame.clear();
            Messages.writeHeartbeat(frame, epochMicros());
            write(frame);
            lastWriteNs = now;
          }
          LockSupport.parkNanos(Math.min(due - now, 1_000_000L));
        }
        if (!sending || (traffic != null && due - end >= 0)) {
          break;
        }
        frame.clear();
        if (now - lastClockNs > CLOCK_EVERY_NS) {
          // A timestamped HEARTBEAT while streaming: the service estimates this camera's clock
          // offset from them (docs/actuators.md, clock rule) and so believes its capture times.
          Messages.writeHeartbeat(frame, epochMicros());
          lastClockNs = now;
        }
        // With a Traffic schedule every frame already due goes out now, several in one write when
        // the sender is behind (high rates): the schedule, not the replies, decides when frames
        // are sent. Rendering cameras send one frame per write, as they always did.
        do {
          seq++;
          byte[] payload;
          int payloadLength;
          boolean isDefective;
          if (pool != null) {
            payload = pool.payload(seq - 1);
            payloadLength = payload.length;
            isDefective = pool.defective(seq - 1);
          } else {
            PartLabel label = renderer.render(pixels, raw);
            isDefective = label.defective();
            payload = pixels;
            payloadLength = pixels.length;
            if (format.isEncoded()) {
              payload = encodeImage(pixels, width, height, raw, format);
              payloadLength = payload.length;
            }
          }
          int slot = (int) (seq & (WINDOW - 1));
          boolean warm = traffic != null && due - measureFrom < 0;
          sentSeq[slot] = seq;
          defective[slot] = isDefective;
          answered[slot] = false;
          warmUp[slot] = warm;
          long captureUs = epochAtStartUs + (due - start) / 1_000;
          stats.onPart(cameraId, seq, captureUs, isDefective);
          FrameFlyweight.writeMessage(
              frame,
              seq,
              captureUs,
              true,
              seq * 100,
              width,
              height,
              format.code(),
              payload,
              0,
              payloadLength);
          // Latency counts from the scheduled capture, not the actual send: a sender that falls
          // behind shows up in the figures instead of hiding (no coordinated omission).
          sentNs[slot] = due;
          (warm ? traffic.warmUpStats() : stats).onSent(isDefective);
          offsetNs += poisson ? -Math.log(1.0 - random.nextDouble()) * periodNs : periodNs;
          due = start + (long) offsetNs;
        } while (traffic != null
            && sending
            && frame.readableBytes() < COALESCE_BYTES
            && System.nanoTime() - due >= 0
            && due - end < 0);
        lastSent = seq;
        write(frame);
        lastWriteNs = System.nanoTime();
      }
    } catch (IOException e) {
      if (!closed) {
        fatalError = "send failed: " + e.getMessage();
        LOG.log(Level.WARNING, "camera {0}: {1}", cameraId, fatalError);
      }
    }
  }

  private static long epochMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private void write(ByteBuf buf) throws IOException {
    out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
  }

  private void receiveLoop() {
    byte[] header = new byte[ProtocolV1.HEADER_BYTES];
    ByteBuf h = Unpooled.wrappedBuffer(header);
    byte[] body = new byte[256];
    ByteBuf b = Unpooled.wrappedBuffer(body);
    VerdictFlyweight verdict = new VerdictFlyweight();
    try {
      while (true) {
        in.readFully(header);
        int type = h.getUnsignedByte(ProtocolV1.TYPE_OFFSET);
        int length = (int) h.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET);
        if (length > body.length) {
          body = new byte[length];
          b = Unpooled.wrappedBuffer(body);
        }
        in.readFully(body, 0, length);
        switch (type) {
          case ProtocolV1.TYPE_VERDICT -> onVerdict(verdict.wrap(b, 0, length));
          case ProtocolV1.TYPE_ERROR -> onError(b, length);
          default -> {}
        }
      }
    } catch (EOFException e) {
      if (!closed && fatalError == null) {
        fatalError = "service closed the connection";
      }
    } catch (IOException e) {
      if (!closed && fatalError == null) {
        fatalError = "receive failed: " + e.getMessage();
      }
    }
  }

  private void onVerdict(VerdictFlyweight v) {
    long now = System.nanoTime();
    long seq = v.sequence();
    int slot = (int) (seq & (WINDOW - 1));
    if (seq < 1 || seq > lastSent || sentSeq[slot] != seq) {
      stats.onUnknown();
      return;
    }
    if (answered[slot]) {
      stats.onDuplicate();
      return;
    }
    answered[slot] = true;
    answeredCount++;
    if (seq <= lastAnswered) {
      stats.onOutOfOrder();
    }
    lastAnswered = Math.max(lastAnswered, seq);
    Verdict verdict = v.verdict();
    ReasonCode reason = v.reason();
    (warmUp[slot] ? traffic.warmUpStats() : stats)
        .onVerdict(
            verdict == null ? Verdict.FAIL : verdict,
            reason == null ? ReasonCode.NONE : reason,
            defective[slot],
            now - sentNs[slot],
            v.latencyUs(),
            sentNs[slot]);
  }

  private void onError(ByteBuf b, int length) {
    ErrorCode code = ErrorCode.fromCode(b.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
    stats.onError(code);
    if (code == ErrorCode.SERVICE_SHUTTING_DOWN) {
      answeredAtShutdown = answeredCount;
    }
    if (code == null || code.fatal()) {
      fatalError = code + ": " + Messages.readString(b, Messages.ERROR_MESSAGE_OFFSET, length);
      LOG.log(Level.WARNING, "camera {0}: service sent fatal error {1}", cameraId, fatalError);
    }
  }

  /** Stops sending new frames; verdicts keep being read. */
  public void stopSending() {
    sending = false;
    try {
      sender.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Whether the sender has stopped (a {@link Traffic} schedule ended, or it failed or was told).
   */
  public boolean doneSending() {
    return !sender.isAlive();
  }

  /** Frames sent so far. */
  public long sent() {
    return lastSent;
  }

  /**
   * Waits until the last frame sent has its verdict, at most {@code timeoutMs}.
   *
   * @return whether it arrived
   */
  public boolean awaitLastVerdict(long timeoutMs) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (lastAnswered < lastSent && System.nanoTime() - until < 0 && receiver.isAlive()) {
      LockSupport.parkNanos(1_000_000L);
    }
    return lastAnswered >= lastSent;
  }

  /** Frames answered so far (each once; duplicate and unknown verdicts not counted). */
  public long answered() {
    return answeredCount;
  }

  /**
   * Frames answered when SERVICE_SHUTTING_DOWN arrived, or -1 before: equal to {@link #answered}
   * when the service sent it after its last verdict, as the protocol says.
   */
  public long answeredAtShutdown() {
    return answeredAtShutdown;
  }

  /** Why the connection failed, or null while it is healthy. */
  public String fatalError() {
    return fatalError;
  }

  @Override
  public void close() {
    closed = true;
    sending = false;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      sender.join(2_000);
      receiver.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static byte[] encodeImage(
      byte[] pixels, int width, int height, PixelFormat raw, PixelFormat format)
      throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int bpp = raw.bytesPerPixel();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int o = (y * width + x) * bpp;
        int r;
        int g;
        int bl;
        if (bpp == 1) {
          r = g = bl = pixels[o] & 0xFF;
        } else if (raw == PixelFormat.RGB8) {
          r = pixels[o] & 0xFF;
          g = pixels[o + 1] & 0xFF;
          bl = pixels[o + 2] & 0xFF;
        } else {
          bl = pixels[o] & 0xFF;
          g = pixels[o + 1] & 0xFF;
          r = pixels[o + 2] & 0xFF;
        }
        image.setRGB(x, y, (r << 16) | (g << 8) | bl);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format == PixelFormat.JPEG ? "jpeg" : "png", bytes)) {
      throw new IOException("no ImageIO writer for " + format);
    }
    return bytes.toByteArray();
  }
}
