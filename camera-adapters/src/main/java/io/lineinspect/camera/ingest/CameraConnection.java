package io.lineinspect.camera.ingest;

import static io.lineinspect.camera.protocol.ProtocolV1.HEADER_BYTES;

import io.lineinspect.camera.auth.CameraAuth;
import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.frame.EncodedImageHeader;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.FrameTranslator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Decodes one camera connection's byte stream (protocol v1) and publishes its frames straight from
 * the receive buffer into ring entries: no message objects, no payload copies beyond the one into
 * the entry. Also the {@link FrameTranslator} for those publishes.
 *
 * <p>Bad input never reaches the pipeline as an exception: a frame that is well framed but unusable
 * (payload length, image size, pixel format, an image above {@code ingest.maxImagePixels}, a JPEG
 * or PNG whose own header declares another size) gets a non-fatal ERROR and still enters the ring,
 * so it gets its fail-safe verdict in order; no decoder ever sees such a payload; anything that
 * breaks the framing or the handshake gets a fatal ERROR and the connection is closed. Other
 * cameras are never affected.
 *
 * <p>Client limits ({@code ingest:} keys, each counted in {@link IngestMetrics.Limit}): the
 * connection counts against the total and per-address caps from accept; it must complete HELLO
 * within {@code helloTimeoutMs}; every message must arrive within {@code messageTimeoutMs} of its
 * first byte; an incomplete message reserves its full size from the server's {@code
 * maxBufferedBytes} (when that is spent, this connection stops reading until bytes come free); a
 * camera above {@code maxFramesPerSecond} is paced by TCP: its next frame waits, unread past what
 * is already buffered, until the ceiling admits it (so a flood costs the service one frame per
 * interval, not one OVERLOAD verdict per flooded frame). A frame's budget counts from its first
 * byte read, not its last, and the time it waited for the ceiling is part of it. Whether the
 * connection is read is one decision ({@link #shouldRead}).
 *
 * <p>Who may speak for a camera id ({@code ingest.cameras}, {@link CameraAuth}): a HELLO with an
 * unknown id or a wrong token is refused (AUTHENTICATION_FAILED) without touching the id; a proven
 * HELLO takes its id over from the connection holding it, which finishes its verdicts first ({@link
 * #takenOver}).
 *
 * <p>On a TLS port ({@code ingest.tls}, {@link CameraTls}) an {@link SslHandler} sits before this
 * decoder: it sees the decrypted protocol v1 stream, unchanged. The connection limits and {@code
 * helloTimeoutMs} count from the TCP connect, so the handshake's time is part of the HELLO's; a
 * failed handshake is counted ({@code TLS_HANDSHAKE}) and closes the connection, and a fatal error
 * before the handshake completed closes it without an ERROR (none can be sent yet).
 *
 * <p>Owned by the channel's event loop ({@link #retryBuffer()} may be called from any thread).
 */
final class CameraConnection extends ByteToMessageDecoder implements FrameTranslator {
  private static final System.Logger LOG = System.getLogger(CameraConnection.class.getName());

  private enum State {
    AWAIT_HELLO,
    READY,
    CLOSING
  }

  private final CameraServer server;
  private final FrameFlyweight frame = new FrameFlyweight();
  private final EncodedImageHeader imageHeader;
  // Reads the current frame's payload in place, for the header-only parse of JPEG/PNG.
  private final EncodedImageHeader.ByteReader payloadReader =
      i -> this.current.getUnsignedByte(frame.payloadIndex() + i);

  /** A HELLO body longer than this cannot be well formed (u16 id length, token ≤ 1024 bytes). */
  static final int MAX_HELLO_BODY = 4 + 0xFFFF + ProtocolV1.MAX_TOKEN_BYTES;

  private State state = State.AWAIT_HELLO;
  private java.net.InetAddress address;
  private boolean counted;
  private long connectedNs;
  private java.util.concurrent.ScheduledFuture<?> ticker;
  // Monotonic time the first byte of the message being received was read; 0 = none pending.
  private long messageStartNs;
  // Buffer budget reserved for the incomplete message (0 = none), or wanted while waiting.
  private long reservedBytes;
  private long wantedBytes;
  private boolean waitingForBuffer;
  // Frame-rate ceiling (GCRA): theoretical arrival time of the next frame, and the spacing.
  private final long frameIntervalNs;
  private long rateTatNs;
  // Paced by the ceiling: not read, the next complete frame held in the cumulation until due.
  private boolean paced;
  private long pacedTimes;
  private long heldStartNs;
  // The connection closed: frames still held are handled at once (the ceiling refuses them).
  private boolean draining;
  private long currentStartNs;
  private CameraSession session;
  private ChannelHandlerContext ctx;
  private long frameErrors;

  // The frame being published (read by writeTo during ring.tryPublishEvent).
  private ByteBuf current;
  private int currentBodyLength;
  private long currentReceivedNs;
  private PixelFormat currentFormat;
  private String currentProblem;

  CameraConnection(CameraServer server) {
    this.server = server;
    this.imageHeader = new EncodedImageHeader(server.maxImagePixels());
    int fps = server.maxFramesPerSecond();
    this.frameIntervalNs = fps == 0 ? 0 : 1_000_000_000L / fps;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    server.metrics().onConnect();
    address =
        ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a
            ? a.getAddress()
            : null;
    IngestMetrics.Limit refused = address == null ? null : server.connectionOpened(address);
    if (refused != null) {
      fatal(
          ErrorCode.CONNECTION_LIMIT,
          refused == IngestMetrics.Limit.CONNECTIONS
              ? server.maxConnections() + " connections are open (ingest.maxConnections)"
              : server.maxConnectionsPerAddress()
                  + " connections from "
                  + address.getHostAddress()
                  + " are open (ingest.maxConnectionsPerAddress)");
    } else {
      counted = address != null;
      connectedNs = server.clock().nanoTime();
      long tickMs = Math.max(5, Math.min(server.helloTimeoutMs(), server.messageTimeoutMs()) / 4);
      ticker =
          ctx.executor()
              .scheduleAtFixedRate(
                  this::checkTimers, tickMs, tickMs, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    super.channelActive(ctx);
  }

  /** Every quarter of the shorter timeout: the HELLO deadline and the one-message bound. */
  private void checkTimers() {
    if (state == State.CLOSING) {
      return;
    }
    long now = server.clock().nanoTime();
    if (state == State.AWAIT_HELLO && now - connectedNs >= ms(server.helloTimeoutMs())) {
      server.metrics().onLimit(IngestMetrics.Limit.HELLO_TIMEOUT);
      fatal(
          ErrorCode.HELLO_TIMEOUT,
          "no HELLO within "
              + server.helloTimeoutMs()
              + " ms of connecting (ingest.helloTimeoutMs)");
    } else if (messageStartNs != 0 && now - messageStartNs >= ms(server.messageTimeoutMs())) {
      server.metrics().onLimit(IngestMetrics.Limit.MESSAGE_TIMEOUT);
      fatal(
          ErrorCode.MESSAGE_TIMEOUT,
          "a message took longer than "
              + server.messageTimeoutMs()
              + " ms from its first byte (ingest.messageTimeoutMs); send each message at once");
    }
  }

  private static long ms(int millis) {
    return millis * 1_000_000L;
  }

  /**
   * The incomplete message of {@code total} bytes needs buffer budget: reserve it, or stop reading
   * until {@link CameraServer#releaseBuffer} lets this connection try again.
   */
  private void reserve(long total) {
    if (server.reserveBuffer(total)) {
      reservedBytes = total;
      return;
    }
    wantedBytes = total;
    waitingForBuffer = true;
    updateReading();
    server.awaitBuffer(this);
  }

  /**
   * While waiting for buffer budget, no read is requested: the decoder's default asks for one more
   * read whenever it produced nothing with auto-read off, which would keep filling the buffer.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (!shouldRead()) {
      ctx.fireChannelReadComplete();
      return;
    }
    super.channelReadComplete(ctx);
  }

  /** Buffer budget came free: try the reservation again (on this channel's event loop). */
  void retryBuffer() {
    ctx.executor()
        .execute(
            () -> {
              if (!waitingForBuffer || state == State.CLOSING || !ctx.channel().isActive()) {
                return;
              }
              if (server.reserveBuffer(wantedBytes)) {
                reservedBytes = wantedBytes;
                waitingForBuffer = false;
                updateReading();
                if (shouldRead()) {
                  ctx.read();
                }
              } else {
                server.awaitBuffer(this);
              }
            });
  }

  /**
   * The one decision whether this connection is read: not while closing, waiting for buffer budget,
   * paced by the frame-rate ceiling, or unable to take its verdicts (not writable).
   */
  private boolean shouldRead() {
    return state != State.CLOSING && !waitingForBuffer && !paced && ctx.channel().isWritable();
  }

  private void updateReading() {
    ctx.channel().config().setAutoRead(shouldRead());
  }

  /**
   * The frame-rate ceiling for a complete FRAME about to be handled: when the bucket would refuse
   * it, the connection is paced (not read) until the frame is due, and true is returned; the frame
   * stays in the cumulation and its budget counts from now (it has been read).
   */
  private boolean pace(long now) {
    if (frameIntervalNs == 0 || draining || !ctx.channel().isActive()) {
      return false;
    }
    long waitNs = notDueForNs(now);
    if (waitNs == 0) {
      return false;
    }
    paced = true;
    heldStartNs = messageStartNs != 0 ? messageStartNs : now;
    messageStartNs = 0; // not the sender's slowness: ingest.messageTimeoutMs does not run
    server.metrics().onLimit(IngestMetrics.Limit.FRAME_RATE);
    pacedTimes++;
    if (Long.bitCount(pacedTimes) == 1) {
      LOG.log(
          Level.WARNING,
          "camera {0} sends more than {1} frames/s (ingest.maxFramesPerSecond): not read until"
              + " its next frame is due ({2} times)",
          session.cameraId(),
          String.valueOf(server.maxFramesPerSecond()),
          pacedTimes);
    }
    updateReading();
    ctx.executor().schedule(this::endPace, waitNs, java.util.concurrent.TimeUnit.NANOSECONDS);
    return true;
  }

  /** The held frame is due: read again, and handle what the cumulation holds. */
  private void endPace() {
    if (!paced) {
      return;
    }
    paced = false;
    if (state == State.CLOSING || !ctx.channel().isActive()) {
      return;
    }
    updateReading();
    try {
      // Decodes the bytes already held (an empty read appends nothing to the cumulation).
      channelRead(ctx, io.netty.buffer.Unpooled.EMPTY_BUFFER);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    }
  }

  private void releaseReservation() {
    if (reservedBytes != 0) {
      long n = reservedBytes;
      reservedBytes = 0;
      server.releaseBuffer(n);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    long now = server.clock().nanoTime();
    while (state != State.CLOSING && in.readableBytes() >= HEADER_BYTES) {
      int start = in.readerIndex();
      int magic = in.getUnsignedShort(start + ProtocolV1.MAGIC_OFFSET);
      if (magic != ProtocolV1.MAGIC) {
        fatal(
            ErrorCode.BAD_MAGIC, String.format("expected magic 0x4C49 ('LI'), got 0x%04X", magic));
        break;
      }
      int version = in.getUnsignedByte(start + ProtocolV1.VERSION_OFFSET);
      if (version != ProtocolV1.VERSION) {
        fatal(
            ErrorCode.UNSUPPORTED_VERSION,
            "protocol version " + version + " is not supported; this service speaks version 1");
        break;
      }
      int type = in.getUnsignedByte(start + ProtocolV1.TYPE_OFFSET);
      long bodyLength = in.getUnsignedInt(start + ProtocolV1.BODY_LENGTH_OFFSET);
      if (bodyLength > server.maxMessageBytes()) {
        fatal(
            ErrorCode.MESSAGE_TOO_LARGE,
            "message body of "
                + bodyLength
                + " bytes exceeds the limit of "
                + server.maxMessageBytes()
                + " bytes (ingest.maxMessageBytes)");
        break;
      }
      // What the header alone can refuse is refused before the body is buffered.
      if (type == ProtocolV1.TYPE_FRAME && state != State.READY) {
        fatal(ErrorCode.HELLO_REQUIRED, "FRAME received before HELLO");
        break;
      }
      if (type == ProtocolV1.TYPE_HELLO && bodyLength > MAX_HELLO_BODY) {
        fatal(ErrorCode.MALFORMED_MESSAGE, "HELLO body of " + bodyLength + " bytes is too long");
        break;
      }
      if (type == ProtocolV1.TYPE_HEARTBEAT && bodyLength != 0 && bodyLength != 8) {
        fatal(
            ErrorCode.MALFORMED_MESSAGE, "HEARTBEAT body must be 0 or 8 bytes, got " + bodyLength);
        break;
      }
      if (in.readableBytes() < HEADER_BYTES + bodyLength) {
        if (messageStartNs == 0) {
          messageStartNs = now;
        }
        if (reservedBytes == 0 && !waitingForBuffer) {
          reserve(HEADER_BYTES + bodyLength);
        }
        return; // wait for the rest of the message
      }
      if (type == ProtocolV1.TYPE_FRAME && state == State.READY && pace(now)) {
        return; // held until the ceiling admits it; endPace decodes it
      }
      currentStartNs = heldStartNs != 0 ? heldStartNs : messageStartNs != 0 ? messageStartNs : now;
      heldStartNs = 0;
      messageStartNs = 0;
      int body = start + HEADER_BYTES;
      in.readerIndex(body + (int) bodyLength);
      handle(type, in, body, (int) bodyLength);
      releaseReservation();
    }
    if (state == State.CLOSING) {
      in.skipBytes(in.readableBytes());
      releaseReservation();
    } else if (in.isReadable() && messageStartNs == 0) {
      messageStartNs = now;
    }
  }

  private void handle(int type, ByteBuf in, int body, int length) {
    switch (type) {
      case ProtocolV1.TYPE_HELLO -> onHello(in, body, length);
      case ProtocolV1.TYPE_FRAME -> onFrame(in, body, length);
      case ProtocolV1.TYPE_HEARTBEAT -> onHeartbeat(in, body, length);
      case ProtocolV1.TYPE_HELLO_ACK, ProtocolV1.TYPE_VERDICT, ProtocolV1.TYPE_ERROR ->
          fatal(
              ErrorCode.UNKNOWN_MESSAGE_TYPE,
              "message type " + type + " is sent by the service only, never by a camera");
      default -> fatal(ErrorCode.UNKNOWN_MESSAGE_TYPE, "unknown message type " + type);
    }
  }

  private void onHello(ByteBuf in, int body, int length) {
    if (state == State.READY) {
      fatal(ErrorCode.DUPLICATE_HELLO, "HELLO was already received on this connection");
      return;
    }
    int end = body + length;
    if (length < 4) {
      fatal(ErrorCode.MALFORMED_MESSAGE, "HELLO body of " + length + " bytes is too short");
      return;
    }
    int idLength = in.getUnsignedShort(body);
    int tokenIndex = body + 2 + idLength;
    if (tokenIndex + 2 > end || tokenIndex + 2 + in.getUnsignedShort(tokenIndex) != end) {
      fatal(
          ErrorCode.MALFORMED_MESSAGE,
          "HELLO body of " + length + " bytes does not match its camera id and token lengths");
      return;
    }
    int tokenLength = in.getUnsignedShort(tokenIndex);
    if (tokenLength > ProtocolV1.MAX_TOKEN_BYTES) {
      fatal(
          ErrorCode.MALFORMED_MESSAGE,
          "HELLO token of " + tokenLength + " bytes exceeds " + ProtocolV1.MAX_TOKEN_BYTES);
      return;
    }
    String cameraId = in.toString(body + 2, idLength, StandardCharsets.UTF_8);
    if (!ProtocolV1.isValidCameraId(cameraId)) {
      fatal(
          ErrorCode.INVALID_CAMERA_ID,
          "camera id must be 1-64 characters of A-Z a-z 0-9 . _ : - (got '"
              + printable(cameraId)
              + "')");
      return;
    }
    byte[] token = new byte[tokenLength];
    in.getBytes(tokenIndex + 2, token);
    CameraAuth.Decision decision = server.auth().check(cameraId, token, peerCertificateCn());
    java.util.Arrays.fill(token, (byte) 0);
    if (decision == CameraAuth.Decision.REFUSED) {
      // One answer for an unknown id and a wrong token; the id is neither held nor disturbed.
      fatal(
          ErrorCode.AUTHENTICATION_FAILED,
          "camera id '" + cameraId + "' is not configured or its token is wrong");
      return;
    }
    CameraSession s =
        new CameraSession(cameraId, ctx.channel(), server.metrics(), server.warmUpOnly());
    // Only a proven id takes over; on an open port and for tokenless ids the first holder keeps it.
    boolean proven = server.auth().enforced() && decision == CameraAuth.Decision.ACCEPTED;
    if (server.register(s, proven) != null) {
      fatal(ErrorCode.CAMERA_ID_IN_USE, "camera id '" + cameraId + "' is already connected");
      return;
    }
    if (decision == CameraAuth.Decision.ACCEPTED_WITHOUT_TOKEN) {
      server.onTokenlessConnect(cameraId, ctx.channel().remoteAddress());
    }
    session = s;
    state = State.READY;
    server.clocks().reset(cameraId);
    ByteBuf ack = ctx.alloc().ioBuffer(64);
    Messages.writeHelloAck(
        ack,
        server.maxMessageBytes(),
        server.budgetMs(),
        server.idleTimeoutMs(),
        server.lineName());
    ctx.writeAndFlush(ack, ctx.voidPromise());
    LOG.log(
        server.warmUpOnly() ? Level.DEBUG : Level.INFO,
        "camera {0} connected from {1}",
        cameraId,
        ctx.channel().remoteAddress());
  }

  private void onFrame(ByteBuf in, int body, int length) {
    if (state != State.READY) {
      fatal(ErrorCode.HELLO_REQUIRED, "FRAME received before HELLO");
      return;
    }
    if (length < FrameFlyweight.FIXED_BYTES) {
      fatal(
          ErrorCode.MALFORMED_MESSAGE,
          "FRAME body of "
              + length
              + " bytes is shorter than its "
              + FrameFlyweight.FIXED_BYTES
              + "-byte fixed part");
      return;
    }
    long now = server.clock().nanoTime();
    server.metrics().onFrame();
    server.metrics().onFrameRead(now - currentStartNs);
    frame.wrap(in, body);
    current = in;
    currentBodyLength = length;
    // The budget counts from the frame's first byte: time spent receiving it is the line's time.
    currentReceivedNs = currentStartNs;
    currentFormat = PixelFormat.fromCode(frame.pixelFormatCode());
    currentProblem = null;
    validateFrame(length);
    if (overRate(now)) {
      server.pipeline().refuse(session, this);
    } else {
      server.pipeline().publish(session, this);
    }
    current = null;
  }

  /**
   * The camera's frame-rate ceiling (GCRA, a bucket of one second of frames): how long until its
   * next frame is due, 0 when it is due now (or there is no ceiling).
   */
  private long notDueForNs(long now) {
    if (frameIntervalNs == 0) {
      return 0;
    }
    long tat = rateTatNs - now < 0 ? now : rateTatNs;
    return Math.max(0, tat - now - (1_000_000_000L - frameIntervalNs));
  }

  /**
   * Takes the frame's place under the ceiling and returns false, or returns true (refuse it) for a
   * frame that is not due: only frames held by the ceiling when their connection closed.
   */
  private boolean overRate(long now) {
    if (notDueForNs(now) > 0) {
      return true;
    }
    if (frameIntervalNs != 0) {
      rateTatNs = (rateTatNs - now < 0 ? now : rateTatNs) + frameIntervalNs;
    }
    return false;
  }

  /** Sets {@code currentProblem} and tells the camera when the frame cannot be judged. */
  private void validateFrame(int length) {
    long declared = frame.payloadLength();
    int carried = length - FrameFlyweight.FIXED_BYTES;
    int w = frame.width();
    int h = frame.height();
    if (declared != carried) {
      frameError(
          ErrorCode.PAYLOAD_LENGTH_MISMATCH,
          "payloadLength says " + declared + " bytes but the message carries " + carried);
    } else if (currentFormat == null) {
      frameError(
          ErrorCode.UNKNOWN_PIXEL_FORMAT,
          "unknown pixel format code "
              + frame.pixelFormatCode()
              + " (known: 1 MONO8, 2 BGR8, 3 RGB8, 16 JPEG, 17 PNG)");
    } else if (w == 0 || h == 0) {
      frameError(
          ErrorCode.IMAGE_SIZE_MISMATCH, "width and height must be at least 1, got " + w + "x" + h);
    } else if (imageHeader.checkFrameSize(w, h) != null) {
      frameError(ErrorCode.BAD_IMAGE, imageHeader.checkFrameSize(w, h));
    } else if (!currentFormat.isEncoded() && currentFormat.rawPayloadBytes(w, h) != carried) {
      frameError(
          ErrorCode.IMAGE_SIZE_MISMATCH,
          w
              + "x"
              + h
              + " "
              + currentFormat
              + " needs "
              + currentFormat.rawPayloadBytes(w, h)
              + " payload bytes, got "
              + carried);
    } else if (currentFormat.isEncoded() && carried == 0) {
      frameError(ErrorCode.BAD_IMAGE, "empty " + currentFormat + " payload");
    } else if (currentFormat.isEncoded()) {
      // Only the payload's own header (SOF / IHDR): a huge declared size never reaches a decoder.
      // The full structural check runs later, off the I/O thread (PreprocessHandler).
      String problem = imageHeader.check(currentFormat, payloadReader, carried, w, h);
      if (problem != null) {
        frameError(ErrorCode.BAD_IMAGE, problem);
      }
    }
  }

  private void frameError(ErrorCode code, String message) {
    currentProblem = message;
    server.metrics().onError(code);
    frameErrors++;
    if (ErrorLog.shouldLog(frameErrors)) {
      LOG.log(
          Level.WARNING,
          "camera {0} frame {1}: {2}: {3} ({4} bad frames on this connection)",
          session.cameraId(),
          Long.toUnsignedString(frame.sequence()),
          code,
          message,
          frameErrors);
    }
    ByteBuf err = ctx.alloc().ioBuffer(64 + message.length());
    Messages.writeError(err, code, frame.sequence(), message);
    ctx.writeAndFlush(err, ctx.voidPromise());
  }

  private void onHeartbeat(ByteBuf in, int body, int length) {
    if (state != State.READY) {
      return; // allowed before HELLO, but the service sends nothing before HELLO_ACK
    }
    if (length == 8 && session != null) {
      // The camera's clock at sending (epoch µs): a sample of its offset from the service's clock.
      server.clocks().onHeartbeat(session.cameraId(), in.getLong(body));
    }
    ByteBuf echo = ctx.alloc().ioBuffer(HEADER_BYTES + length);
    Messages.writeHeader(echo, ProtocolV1.TYPE_HEARTBEAT, length);
    echo.writeBytes(in, body, length);
    ctx.writeAndFlush(echo, ctx.voidPromise());
  }

  private void fatal(ErrorCode code, String message) {
    server.metrics().onError(code);
    state = State.CLOSING;
    boolean limit =
        code == ErrorCode.CONNECTION_LIMIT
            || code == ErrorCode.HELLO_TIMEOUT
            || code == ErrorCode.MESSAGE_TIMEOUT
            || code == ErrorCode.AUTHENTICATION_FAILED;
    // A flood of hostile connections must not become a flood of log lines: first, 2nd, 4th, ...
    if (!limit || Long.bitCount(server.metrics().errors(code)) == 1) {
      LOG.log(
          Level.WARNING,
          "closing connection {0} ({1}): {2}: {3}",
          ctx.channel().remoteAddress(),
          session == null ? "before HELLO" : "camera " + session.cameraId(),
          code,
          message + (limit ? " (" + server.metrics().errors(code) + " so far)" : ""));
    }
    if (tlsPending()) {
      // The ERROR cannot travel before the TLS connection exists (and must not in clear): close.
      ctx.close();
      return;
    }
    ByteBuf err = ctx.alloc().ioBuffer(64 + message.length());
    Messages.writeError(err, code, ProtocolV1.NO_SEQUENCE, message);
    ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The subject CN of the client certificate this connection's TLS handshake verified, or null
   * (plain TCP, no client certificate, no CN).
   */
  private String peerCertificateCn() {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return null;
    }
    try {
      java.security.cert.Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate x)) {
        return null;
      }
      String cn = null;
      for (javax.naming.ldap.Rdn rdn :
          new javax.naming.ldap.LdapName(x.getSubjectX500Principal().getName()).getRdns()) {
        // getRdns() runs from the least specific RDN: the last CN is the most specific one.
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = String.valueOf(rdn.getValue());
        }
      }
      return cn;
    } catch (javax.net.ssl.SSLPeerUnverifiedException | javax.naming.InvalidNameException e) {
      return null;
    }
  }

  /** True on a TLS port ({@code ingest.tls}) while the handshake has not succeeded. */
  private boolean tlsPending() {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    return ssl != null && !ssl.handshakeFuture().isSuccess();
  }

  /**
   * Another connection authenticated as this camera and now holds its id: this one stops reading,
   * every frame it already received still gets its verdict here (bounded by twice the budget plus a
   * second), then CAMERA_ID_TAKEN_OVER and the close. Called on this channel's event loop.
   *
   * @param by the address of the connection that took the id over, for the log
   */
  void takenOver(Object by) {
    if (state != State.READY || !ctx.channel().isActive()) {
      return;
    }
    state = State.CLOSING;
    updateReading();
    LOG.log(
        Level.WARNING,
        "camera {0}: connection {1} authenticated as it; closing {2} after the verdicts of the"
            + " frames it received",
        session.cameraId(),
        by,
        ctx.channel().remoteAddress());
    long untilNs = server.clock().nanoTime() + ms(2 * server.budgetMs() + 1_000);
    closeWhenVerdictsWritten(untilNs);
  }

  private void closeWhenVerdictsWritten(long untilNs) {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (!session.allVerdictsWritten() && server.clock().nanoTime() - untilNs < 0) {
      ctx.executor()
          .schedule(
              () -> closeWhenVerdictsWritten(untilNs),
              1,
              java.util.concurrent.TimeUnit.MILLISECONDS);
      return;
    }
    // The last verdicts may still wait in the session's batch buffer: queue them first, then the
    // ERROR behind them, both as event-loop tasks, so the ERROR cannot overtake a verdict.
    synchronized (session) {
      session.flush();
    }
    ctx.executor()
        .execute(
            () ->
                fatal(
                    ErrorCode.CAMERA_ID_TAKEN_OVER,
                    "camera id '"
                        + session.cameraId()
                        + "' was taken over by another connection that authenticated as it"));
  }

  /** Sends SERVICE_SHUTTING_DOWN and closes; called on this channel's event loop. */
  void shutdown() {
    if (state != State.CLOSING) {
      fatal(ErrorCode.SERVICE_SHUTTING_DOWN, "the service is shutting down");
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        server.metrics().onTlsHandshake();
      } else if (state != State.CLOSING) {
        state = State.CLOSING;
        server.onTlsHandshakeFailed(ctx.channel().remoteAddress(), done.cause());
        ctx.close();
      }
      return;
    }
    if (evt instanceof IdleStateEvent idle) {
      // Not read on purpose (verdicts not taken, or waiting for buffer budget) is not idle: the
      // VERDICTS_NOT_READ check and ingest.messageTimeoutMs close such connections.
      if (idle.state() == IdleState.READER_IDLE
          && state != State.CLOSING
          && ctx.channel().config().isAutoRead()) {
        fatal(
            ErrorCode.IDLE_TIMEOUT,
            "nothing received for "
                + server.idleTimeoutMs()
                + " ms (ingest.idleTimeoutMs); send HEARTBEAT messages when idle");
      } else if (idle.state() == IdleState.WRITER_IDLE && state == State.READY) {
        ByteBuf hb = ctx.alloc().ioBuffer(HEADER_BYTES + 8);
        Messages.writeHeartbeat(hb, System.currentTimeMillis() * 1000);
        ctx.writeAndFlush(hb, ctx.voidPromise());
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  /**
   * A camera that does not read its verdicts makes them pile up in the service. When the connection
   * stays unwritable for {@code ingest.idleTimeoutMs}, the camera is disconnected: its verdicts are
   * not reaching the line anyway, and memory stays bounded by rate × timeout.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    // A camera that does not take its verdicts is not read either: its frames (and their verdicts)
    // wait in its own TCP buffers, not in the service's memory, and cost no other camera anything.
    updateReading();
    if (!ctx.channel().isWritable()) {
      ctx.executor()
          .schedule(
              () -> {
                if (ctx.channel().isActive()
                    && !ctx.channel().isWritable()
                    && state != State.CLOSING) {
                  server.metrics().onError(ErrorCode.VERDICTS_NOT_READ);
                  state = State.CLOSING;
                  LOG.log(
                      Level.WARNING,
                      "closing {0}: it has not read its verdicts for {1} ms ({2} bytes waiting)",
                      session == null
                          ? ctx.channel().remoteAddress()
                          : "camera " + session.cameraId(),
                      String.valueOf(server.idleTimeoutMs()),
                      String.valueOf(
                          ctx.channel().unsafe().outboundBuffer() == null
                              ? 0
                              : ctx.channel().unsafe().outboundBuffer().totalPendingWriteBytes()));
                  // The ERROR could not get through a full buffer either: close at once.
                  ctx.close();
                }
              },
              server.idleTimeoutMs(),
              java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (paced) {
      // Complete frames held by the ceiling were received: each still gets its verdict (OVERLOAD
      // where the ceiling refuses it), recorded like any other.
      paced = false;
      draining = true;
      decode(ctx, in, out);
    }
    if (in.isReadable() && state != State.CLOSING) {
      server.metrics().onTruncated();
      LOG.log(
          Level.WARNING,
          "{0} disconnected in the middle of a message ({1} bytes unread); that frame was not received",
          session == null
              ? "connection " + ctx.channel().remoteAddress()
              : "camera " + session.cameraId(),
          in.readableBytes());
      in.skipBytes(in.readableBytes());
      return;
    }
    decode(ctx, in, out);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    server.metrics().onDisconnect();
    if (ticker != null) {
      ticker.cancel(false);
    }
    waitingForBuffer = false;
    releaseReservation();
    if (counted) {
      counted = false;
      server.connectionClosed(address);
    }
    if (session != null) {
      server.unregister(session);
      LOG.log(
          server.warmUpOnly() ? Level.DEBUG : Level.INFO,
          "camera {0} disconnected",
          session.cameraId());
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof java.nio.channels.ClosedChannelException) {
      return; // a write raced with the close; what it carried is counted as undeliverable
    }
    if (isTls(cause) && tlsPending()) {
      // A failed handshake: counted and logged (rate-limited) on its SslHandshakeCompletionEvent.
      ctx.close();
      return;
    }
    LOG.log(
        Level.WARNING,
        "connection {0} failed: {1}",
        ctx.channel().remoteAddress(),
        String.valueOf(cause));
    ctx.close();
  }

  private static boolean isTls(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }

  // ---- FrameTranslator: called inside pipeline.publish on this event loop ----

  @Override
  public long sequence() {
    return frame.sequence();
  }

  @Override
  public long receivedNs() {
    return currentReceivedNs;
  }

  @Override
  public long captureTimeUs() {
    return frame.captureTimeUs();
  }

  @Override
  public boolean hasEncoderCount() {
    return frame.encoderValid();
  }

  @Override
  public long encoderCount() {
    return frame.encoderCount();
  }

  @Override
  public String badImageDetail() {
    return currentProblem;
  }

  @Override
  public void writeTo(FrameEvent event) {
    event.setFrame(
        frame.sequence(),
        frame.captureTimeUs(),
        frame.encoderValid(),
        frame.encoderCount(),
        frame.width(),
        frame.height(),
        currentFormat,
        currentReceivedNs);
    if (currentProblem != null) {
      event.rejectBadImage(currentProblem);
      event.markPeerNotified();
      return;
    }
    int n = currentBodyLength - FrameFlyweight.FIXED_BYTES;
    current.getBytes(frame.payloadIndex(), event.payloadBuffer(n), 0, n);
  }
}
