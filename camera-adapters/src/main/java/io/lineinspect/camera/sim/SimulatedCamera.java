package io.lineinspect.camera.sim;

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

  private final String cameraId;
  private final Settings settings;
  private final SimStats stats;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final long[] sentNs = new long[WINDOW];
  private final long[] sentSeq = new long[WINDOW];
  private final boolean[] defective = new boolean[WINDOW];
  private final boolean[] answered = new boolean[WINDOW];
  private final Thread sender;
  private final Thread receiver;
  private volatile boolean sending = true;
  private volatile boolean closed;
  private volatile long lastSent;
  private volatile long lastAnswered;
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
    this.cameraId = cameraId;
    this.settings = settings;
    this.stats = stats;
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5_000);
    in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
    out = socket.getOutputStream();
    handshake();
    sender = new Thread(this::sendLoop, "camsim-" + cameraId + "-tx");
    receiver = new Thread(this::receiveLoop, "camsim-" + cameraId + "-rx");
    sender.setDaemon(true);
    receiver.setDaemon(true);
    receiver.start();
    sender.start();
  }

  private void handshake() throws IOException {
    ByteBuf hello = Unpooled.buffer(128);
    Messages.writeHello(hello, cameraId, new byte[0]);
    out.write(hello.array(), hello.arrayOffset(), hello.readableBytes());
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
    PartRenderer renderer =
        new PartRenderer(
            settings.width(), settings.height(), settings.seed(), settings.defectRate());
    PixelFormat raw = settings.format().isEncoded() ? PixelFormat.BGR8 : settings.format();
    byte[] pixels = new byte[(int) raw.rawPayloadBytes(settings.width(), settings.height())];
    ByteBuf frame = Unpooled.buffer(pixels.length + 64);
    long periodNs = (long) (1e9 / settings.fps());
    long start = System.nanoTime();
    // Capture times are on the wall clock (epoch µs), taken at the scheduled capture moment.
    long epochAtStartUs = epochMicros();
    long lastWriteNs = start;
    long seq = 0;
    try {
      while (sending) {
        long due = start + seq * periodNs;
        long now;
        while ((now = System.nanoTime()) - due < 0 && sending) {
          if (now - lastWriteNs > HEARTBEAT_EVERY_NS) {
            frame.clear();
            Messages.writeHeartbeat(frame, System.currentTimeMillis() * 1000);
            write(frame);
            lastWriteNs = now;
          }
          LockSupport.parkNanos(Math.min(due - now, 1_000_000L));
        }
        if (!sending) {
          break;
        }
        seq++;
        PartLabel label = renderer.render(pixels, raw);
        byte[] payload = pixels;
        int payloadLength = pixels.length;
        if (settings.format().isEncoded()) {
          payload =
              encodeImage(pixels, settings.width(), settings.height(), raw, settings.format());
          payloadLength = payload.length;
        }
        int slot = (int) (seq & (WINDOW - 1));
        sentSeq[slot] = seq;
        defective[slot] = label.defective();
        answered[slot] = false;
        frame.clear();
        long captureUs = epochAtStartUs + (due - start) / 1_000;
        stats.onPart(cameraId, seq, captureUs, label.defective());
        FrameFlyweight.writeMessage(
            frame,
            seq,
            captureUs,
            true,
            seq * 100,
            settings.width(),
            settings.height(),
            settings.format().code(),
            payload,
            0,
            payloadLength);
        // Latency counts from the scheduled capture, not the actual send: a sender that falls
        // behind shows up in the figures instead of hiding (no coordinated omission).
        sentNs[slot] = due;
        lastSent = seq;
        write(frame);
        stats.onSent(label.defective());
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
    if (seq <= lastAnswered) {
      stats.onOutOfOrder();
    }
    lastAnswered = Math.max(lastAnswered, seq);
    Verdict verdict = v.verdict();
    ReasonCode reason = v.reason();
    stats.onVerdict(
        verdict == null ? Verdict.FAIL : verdict,
        reason == null ? ReasonCode.NONE : reason,
        defective[slot],
        now - sentNs[slot],
        v.latencyUs());
  }

  private void onError(ByteBuf b, int length) {
    ErrorCode code = ErrorCode.fromCode(b.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
    stats.onError(code);
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
