package io.lineinspect.camera.ingest;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A blocking protocol v1 client for tests: sends exactly the bytes a test wants, reads replies. */
final class TestCamera implements AutoCloseable {
  /** One received message. */
  record Message(int type, ByteBuf body) {
    ErrorCode errorCode() {
      return ErrorCode.fromCode(body.getUnsignedShort(Messages.ERROR_CODE_OFFSET));
    }

    boolean fatal() {
      return (body.getUnsignedByte(Messages.ERROR_FLAGS_OFFSET) & Messages.ERROR_FLAG_FATAL) != 0;
    }

    long errorSequence() {
      return body.getLong(Messages.ERROR_SEQUENCE_OFFSET);
    }

    String errorMessage() {
      return Messages.readString(body, Messages.ERROR_MESSAGE_OFFSET, body.writerIndex());
    }

    VerdictFlyweight verdict() {
      return new VerdictFlyweight().wrap(body, 0, body.writerIndex());
    }

    @Override
    public String toString() {
      return type == ProtocolV1.TYPE_ERROR
          ? "ERROR " + errorCode() + " " + errorMessage()
          : "message type " + type;
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  TestCamera(int port) throws IOException {
    this(port, null);
  }

  /** Connects from {@code localAddress} (another loopback address, e.g. 127.0.0.2), or any. */
  TestCamera(int port, String localAddress) throws IOException {
    socket = new Socket();
    if (localAddress != null) {
      socket.bind(new java.net.InetSocketAddress(localAddress, 0));
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(5_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Wraps a connected socket: a TLS one ({@link #overTls}) or any other. */
  private TestCamera(Socket connected) throws IOException {
    socket = connected;
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(5_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /**
   * Connects over TLS with {@code tls} (its trust and, for mutual TLS, its client certificate: see
   * {@link TestTls}), checking that the service's certificate names 127.0.0.1, and completes the
   * client's side of the handshake. With TLS 1.3 the service checks a client certificate after
   * that, so a refused one shows at the first read, not here.
   */
  static TestCamera overTls(int port, javax.net.ssl.SSLContext tls) throws IOException {
    javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket();
    javax.net.ssl.SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(5_000);
    s.startHandshake();
    return new TestCamera(s);
  }

  /** Over TLS ({@link #overTls}) and past HELLO_ACK as {@code cameraId}. */
  static TestCamera connectedOverTls(int port, javax.net.ssl.SSLContext tls, String cameraId)
      throws IOException {
    return handshake(overTls(port, tls), cameraId, new byte[0]);
  }

  static TestCamera connected(int port, String cameraId) throws IOException {
    return connected(port, cameraId, new byte[0]);
  }

  static TestCamera connected(int port, String cameraId, String localAddress) throws IOException {
    return handshake(new TestCamera(port, localAddress), cameraId, new byte[0]);
  }

  /** Connected and past HELLO_ACK as {@code cameraId}, proving it with {@code token}. */
  static TestCamera connected(int port, String cameraId, byte[] token) throws IOException {
    return handshake(new TestCamera(port), cameraId, token);
  }

  private static TestCamera handshake(TestCamera c, String cameraId, byte[] token)
      throws IOException {
    c.hello(cameraId, token);
    Message ack = c.read();
    if (ack.type() != ProtocolV1.TYPE_HELLO_ACK) {
      c.close();
      throw new IOException("expected HELLO_ACK, got " + ack);
    }
    return c;
  }

  void hello(String cameraId) throws IOException {
    hello(cameraId, new byte[0]);
  }

  /** A HELLO carrying {@code token} (protocol §4.1: the camera's secret, its raw bytes). */
  void hello(String cameraId, byte[] token) throws IOException {
    ByteBuf b = Unpooled.buffer();
    Messages.writeHello(b, cameraId, token);
    send(b);
  }

  void frame(long seq, int w, int h, int formatCode, byte[] payload) throws IOException {
    ByteBuf b = Unpooled.buffer();
    FrameFlyweight.writeMessage(b, seq, 0, false, 0, w, h, formatCode, payload, 0, payload.length);
    send(b);
  }

  /** A MONO8 frame whose first pixel carries the score the scripted backend will return. */
  /**
   * A 16×16 MONO8 frame whose first byte is the score a {@code ScriptedBackend} reads; the rest is
   * a texture, so the frame is also fit to judge for a real backend's fitness check.
   */
  void mono8(long seq, int scoreByte) throws IOException {
    byte[] p = new byte[16 * 16];
    for (int i = 1; i < p.length; i++) {
      p[i] = (byte) (40 + (i * 37) % 160);
    }
    p[0] = (byte) scoreByte;
    frame(seq, 16, 16, 1, p);
  }

  /** As {@link #mono8}, stamped with {@code captureTimeUs} (epoch µs on the camera's clock). */
  void mono8(long seq, int scoreByte, long captureTimeUs) throws IOException {
    byte[] p = new byte[16 * 16];
    for (int i = 1; i < p.length; i++) {
      p[i] = (byte) (40 + (i * 37) % 160);
    }
    p[0] = (byte) scoreByte;
    ByteBuf b = Unpooled.buffer();
    FrameFlyweight.writeMessage(b, seq, captureTimeUs, false, 0, 16, 16, 1, p, 0, p.length);
    send(b);
  }

  /** A HEARTBEAT carrying {@code timeUs} (epoch µs on the camera's clock). */
  void heartbeat(long timeUs) throws IOException {
    ByteBuf b = Unpooled.buffer();
    Messages.writeHeartbeat(b, timeUs);
    send(b);
  }

  void send(ByteBuf b) throws IOException {
    byte[] bytes = new byte[b.readableBytes()];
    b.readBytes(bytes);
    raw(bytes);
  }

  void rawPart(byte[] bytes, int offset, int length) throws IOException {
    out.write(bytes, offset, length);
    out.flush();
  }

  void raw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next message other than a heartbeat. */
  Message read() throws IOException {
    while (true) {
      Message m = readAny();
      if (m.type() != ProtocolV1.TYPE_HEARTBEAT) {
        return m;
      }
    }
  }

  /** The next message, heartbeats included. */
  Message readAny() throws IOException {
    byte[] header = new byte[ProtocolV1.HEADER_BYTES];
    in.readFully(header);
    ByteBuf h = Unpooled.wrappedBuffer(header);
    if (h.getUnsignedShort(0) != ProtocolV1.MAGIC) {
      throw new IOException("bad magic from service");
    }
    byte[] body = new byte[(int) h.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET)];
    in.readFully(body);
    return new Message(h.getUnsignedByte(ProtocolV1.TYPE_OFFSET), Unpooled.wrappedBuffer(body));
  }

  /** Bounds every later read: a reply that never comes fails the test instead of hanging it. */
  void readTimeoutMs(int ms) throws IOException {
    socket.setSoTimeout(ms);
  }

  /** True when the service closes the connection (EOF) within 3 s; false when it stays open. */
  boolean closedByService() throws IOException {
    return closedByService(3_000);
  }

  /** True when the service closes the connection (EOF) within {@code waitMs}. */
  boolean closedByService(int waitMs) throws IOException {
    socket.setSoTimeout(waitMs);
    try {
      while (true) {
        read(); // returns at most after waitMs: the service sends nothing but heartbeats now
      }
    } catch (EOFException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return "Connection reset".equals(e.getMessage());
    }
  }

  void soTimeout(int ms) throws IOException {
    socket.setSoTimeout(ms);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
