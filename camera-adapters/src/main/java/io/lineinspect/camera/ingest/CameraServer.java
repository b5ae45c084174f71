package io.lineinspect.camera.ingest;

import io.lineinspect.camera.auth.CameraAuth;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The camera-facing TCP server (protocol v1): accepts any number of camera connections and feeds
 * their frames into the {@link InspectionPipeline}. Uses epoll when available (Linux), NIO
 * otherwise, on {@code ingest.ioThreads} event loops named {@code ingest-io-N}.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once, by the owner's thread.
 */
public final class CameraServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CameraServer.class.getName());

  private final IngestConfig config;
  private final IngestTransport transportChoice;
  private final LineConfig line;
  private final InspectionPipeline pipeline;
  private final NanoClock clock;
  private final CameraClocks clocks;
  private final CameraAuth auth;
  private final CameraTls tls;
  private final java.util.concurrent.atomic.AtomicLong tlsFailures =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong tokenlessConnects =
      new java.util.concurrent.atomic.AtomicLong();
  private final IngestMetrics metrics = new IngestMetrics();
  private final ConcurrentHashMap<String, CameraSession> cameras = new ConcurrentHashMap<>();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final ConcurrentHashMap<java.net.InetAddress, AtomicInteger> perAddress =
      new ConcurrentHashMap<>();
  // Connections paused because their message did not fit into ingest.maxBufferedBytes.
  private final java.util.concurrent.ConcurrentLinkedQueue<CameraConnection> bufferWaiters =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final boolean warmUpOnly;
  private EventLoopGroup group;
  private Channel serverChannel;
  private String transport;

  public CameraServer(
      IngestConfig config, LineConfig line, InspectionPipeline pipeline, NanoClock clock) {
    this(
        config,
        line,
        pipeline,
        clock,
        new CameraClocks(10_000, io.lineinspect.core.actuate.RejectScheduler::systemEpochMicros));
  }

  /**
   * @param config the server's settings; {@code ingest.transport} is checked here too (a
   *     configuration assembled in code skips the loader's check)
   * @param clocks where the timestamps of the cameras' HEARTBEATs go (the reject scheduler reads
   *     each camera's clock offset there)
   * @throws io.lineinspect.core.config.ConfigException when a camera's {@code secretFile} or a file
   *     of {@code ingest.tls} (relative to the working directory here) cannot be read
   */
  public CameraServer(
      IngestConfig config,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      CameraClocks clocks) {
    this(config, line, pipeline, clock, clocks, CameraAuth.of(config.cameras(), Path.of("")));
  }

  /**
   * @param auth who may speak for which camera id: {@link CameraAuth#of} of {@code ingest.cameras},
   *     its secret files read against the install directory
   * @throws io.lineinspect.core.config.ConfigException when a file of {@code ingest.tls} (relative
   *     to the working directory here) cannot be read or is invalid
   */
  public CameraServer(
      IngestConfig config,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      CameraClocks clocks,
      CameraAuth auth) {
    this(config, line, pipeline, clock, clocks, auth, CameraTls.of(config.tls(), Path.of("")));
  }

  /**
   * @param tls the camera port's TLS: {@link CameraTls#of} of {@code ingest.tls}, its files read
   *     against the install directory, or {@link CameraTls#off()}
   */
  public CameraServer(
      IngestConfig config,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      CameraClocks clocks,
      CameraAuth auth,
      CameraTls tls) {
    this(config, line, pipeline, clock, clocks, auth, tls, false);
  }

  private CameraServer(
      IngestConfig config,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      CameraClocks clocks,
      CameraAuth auth,
      CameraTls tls,
      boolean warmUpOnly) {
    this.auth = auth;
    this.tls = tls;
    this.config = config;
    this.transportChoice = IngestTransport.of(config.transport());
    this.line = line;
    this.pipeline = pipeline;
    this.clock = clock;
    this.clocks = clocks;
    this.warmUpOnly = warmUpOnly;
  }

  /**
   * A server for the ingest warm-up ({@link IngestWarmUp}) only: every session on it is a warm-up
   * source, so its verdicts reach the listeners' dry run and nothing else; it keeps its own metrics
   * and camera clocks, apart from the real server's.
   *
   * @param tls the real port's TLS ({@link CameraTls#forWarmUp}: the same certificate and
   *     protocols, no client certificate asked), or off
   */
  static CameraServer forWarmUp(
      IngestConfig config,
      LineConfig line,
      InspectionPipeline pipeline,
      NanoClock clock,
      CameraTls tls) {
    return new CameraServer(
        config,
        line,
        pipeline,
        clock,
        new CameraClocks(10_000, io.lineinspect.core.actuate.RejectScheduler::systemEpochMicros),
        // Its only client is the service's own warm-up, on a private loopback port.
        CameraAuth.open(),
        tls.forWarmUp(),
        true);
  }

  /** True for the warm-up server ({@link #forWarmUp}). */
  boolean warmUpOnly() {
    return warmUpOnly;
  }

  /**
   * Binds and starts accepting cameras.
   *
   * @return the bound port (useful with {@code ingest.port: 0})
   */
  public int start() throws InterruptedException {
    boolean epoll = transportChoice.useEpoll();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelClass =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    transport = epoll ? "epoll" : "nio";
    group = new MultiThreadIoEventLoopGroup(config.ioThreads(), threadFactory(), io);
    int idleMs = config.idleTimeoutMs();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(channelClass)
            // Room for a burst of connects: a full backlog drops SYNs, and a real camera's retry
            // then waits 1 s, 2 s, ... (a HELLO_ACK after 3.3 s beside 640 connects at 128).
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (tls.enabled()) {
                      // First: every byte in and out of the protocol is inside the TLS connection.
                      ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(
                            "idle",
                            new IdleStateHandler(
                                idleMs, Math.max(1, idleMs / 2), 0, TimeUnit.MILLISECONDS))
                        .addLast("camera", new CameraConnection(CameraServer.this));
                  }
                });
    try {
      serverChannel = b.bind(config.host(), config.port()).sync().channel();
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw portInUse(config, e);
    }
    // The fair share of admission follows the cameras that are streaming now.
    group
        .next()
        .scheduleAtFixedRate(
            () -> pipeline.recountActiveSources(cameras.values()), 100, 100, TimeUnit.MILLISECONDS);
    int port = port();
    LOG.log(
        warmUpOnly ? Level.DEBUG : Level.INFO,
        "camera server listening on {0}:{1} ({2}, {3} I/O thread(s), {4})",
        config.host(),
        String.valueOf(port),
        transport,
        String.valueOf(config.ioThreads()),
        tls.enabled() ? "TLS: " + tls.describe() : "plain TCP, no TLS");
    logPosture();
    return port;
  }

  /** Says at start who may connect: loudly when anyone may claim any camera id. */
  private void logPosture() {
    if (warmUpOnly) {
      return; // a private loopback port for the service's own warm-up: no camera connects here
    }
    if (!auth.enforced()) {
      LOG.log(
          Level.WARNING,
          "camera port is open: any client may claim any camera id; configure ingest.cameras"
              + " (docs/security.md#camera-credentials)");
      return;
    }
    LOG.log(
        Level.INFO,
        "camera credentials: {0} camera id(s) configured (ingest.cameras); other ids are refused",
        String.valueOf(auth.cameras()));
    if (!auth.tokenlessCameras().isEmpty()) {
      LOG.log(
          Level.WARNING,
          "cameras without a token (ingest.cameras.<id>.tokenless): {0}: any client on the camera"
              + " network may claim these ids",
          String.join(", ", auth.tokenlessCameras()));
    }
  }

  private static ThreadFactory threadFactory() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new FastThreadLocalThread(r, "ingest-io-" + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  /** The bound port; valid after {@link #start()}. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** {@code epoll} or {@code nio}; valid after {@link #start()}. */
  public String transport() {
    return transport;
  }

  public IngestMetrics metrics() {
    return metrics;
  }

  /** The cameras' clock offset estimates, fed from their timestamped HEARTBEATs. */
  public CameraClocks clocks() {
    return clocks;
  }

  /** Cameras connected now (HELLO done). */
  public int connectedCameras() {
    return cameras.size();
  }

  /** The ids of the cameras connected now (HELLO done): a copy. */
  public java.util.Set<String> connectedCameraIds() {
    return java.util.Set.copyOf(cameras.keySet());
  }

  /**
   * Stops accepting and reading, waits (bounded) until every frame already received has its verdict
   * on the wire, tells the cameras the service is shutting down, and closes.
   */
  @Override
  public void close() {
    if (serverChannel == null) {
      return;
    }
    serverChannel.close().syncUninterruptibly();
    // Stop reading on each event loop and wait for it: a read already under way there finishes
    // first, so no frame enters the ring after the drain below (ServiceShutdownTest found one
    // published after it, whose verdict then came after SERVICE_SHUTTING_DOWN).
    for (CameraSession s : cameras.values()) {
      s.channel()
          .eventLoop()
          .submit(() -> s.channel().config().setAutoRead(false))
          .awaitUninterruptibly(1_000);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (pipeline.inFlight() > 0 && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
      Thread.yield();
    }
    List<CameraSession> open = new ArrayList<>(cameras.values());
    for (CameraSession s : open) {
      onItsEventLoop(s, CameraConnection::shutdown);
    }
    // Let each SERVICE_SHUTTING_DOWN reach its camera and the connection close by itself before
    // the event loops stop (stopping them at once dropped the ERROR: found by an independent
    // client).
    for (CameraSession s : open) {
      s.channel().closeFuture().awaitUninterruptibly(1_000);
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    serverChannel = null;
  }

  /**
   * The JVM's direct-memory cap as Netty sees it (its pooled buffers count against it): what {@code
   * ingest.maxBufferedBytes} must stay well below.
   */
  public static long directMemoryCap() {
    return io.netty.util.internal.PlatformDependent.maxDirectMemory();
  }

  /**
   * Checks that the camera port can be bound, without keeping it: start-up calls this before the
   * warm-up, so a port in use is a configuration error at once, not after the model warmed up.
   *
   * @throws io.lineinspect.core.config.ConfigException naming {@code ingest.port}
   */
  public static void checkPortFree(IngestConfig config) {
    if (config.port() == 0) {
      return;
    }
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(config.host(), config.port()));
    } catch (java.io.IOException e) {
      throw portInUse(config, e);
    }
  }

  private static io.lineinspect.core.config.ConfigException portInUse(
      IngestConfig config, Exception e) {
    return new io.lineinspect.core.config.ConfigException(
        "ingest.port: cannot listen for cameras on "
            + config.host()
            + ":"
            + config.port()
            + ": "
            + e.getMessage(),
        e);
  }

  // ---- used by CameraConnection ----

  /**
   * Counts a new connection against {@code ingest.maxConnections} and {@code
   * ingest.maxConnectionsPerAddress}.
   *
   * @return null when admitted (then {@link #connectionClosed} must follow), else the limit hit
   */
  IngestMetrics.Limit connectionOpened(java.net.InetAddress address) {
    if (openConnections.incrementAndGet() > config.maxConnections()) {
      openConnections.decrementAndGet();
      metrics.onLimit(IngestMetrics.Limit.CONNECTIONS);
      return IngestMetrics.Limit.CONNECTIONS;
    }
    AtomicInteger n = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
    if (n.incrementAndGet() > config.maxConnectionsPerAddress()) {
      n.decrementAndGet();
      openConnections.decrementAndGet();
      metrics.onLimit(IngestMetrics.Limit.CONNECTIONS_PER_ADDRESS);
      return IngestMetrics.Limit.CONNECTIONS_PER_ADDRESS;
    }
    return null;
  }

  void connectionClosed(java.net.InetAddress address) {
    openConnections.decrementAndGet();
    perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** Reserves buffer budget for one incomplete message; false: wait ({@link #awaitBuffer}). */
  boolean reserveBuffer(long bytes) {
    return metrics.tryReserve(bytes, config.maxBufferedBytes());
  }

  void awaitBuffer(CameraConnection c) {
    metrics.onLimit(IngestMetrics.Limit.BUFFER_WAIT);
    bufferWaiters.add(c);
  }

  /** Returns buffer budget and lets the connections waiting for it try again. */
  void releaseBuffer(long bytes) {
    metrics.release(bytes);
    for (int i = bufferWaiters.size(); i > 0; i--) {
      CameraConnection c = bufferWaiters.poll();
      if (c == null) {
        break;
      }
      c.retryBuffer();
    }
  }

  int maxConnections() {
    return config.maxConnections();
  }

  int maxConnectionsPerAddress() {
    return config.maxConnectionsPerAddress();
  }

  int helloTimeoutMs() {
    return config.helloTimeoutMs();
  }

  int messageTimeoutMs() {
    return config.messageTimeoutMs();
  }

  int maxFramesPerSecond() {
    return config.maxFramesPerSecond();
  }

  CameraAuth auth() {
    return auth;
  }

  /** The camera port's TLS ({@link CameraTls#off()} for plain TCP). */
  public CameraTls tls() {
    return tls;
  }

  /**
   * A TLS handshake failed: counted ({@link IngestMetrics.Limit#TLS_HANDSHAKE}) and logged at the
   * 1st, 2nd, 4th, … failure, so a port scan or a misconfigured camera is not a flood of log lines.
   */
  void onTlsHandshakeFailed(Object from, Throwable cause) {
    metrics.onLimit(IngestMetrics.Limit.TLS_HANDSHAKE);
    long n = tlsFailures.incrementAndGet();
    if (ErrorLog.shouldLog(n)) {
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      LOG.log(
          Level.WARNING,
          "closing connection {0} (before HELLO): TLS handshake failed: {1} ({2} so far)",
          from,
          String.valueOf(root),
          String.valueOf(n));
    }
  }

  /**
   * Makes {@code session} its camera id's connection.
   *
   * @param takeOver the HELLO proved the id (its secret): a connection holding the id is told to
   *     finish its verdicts and close ({@link CameraConnection#takenOver}); else (open port,
   *     tokenless id) the first connection keeps the id
   * @return null when {@code session} now holds the id, else the connection that keeps it
   */
  CameraSession register(CameraSession session, boolean takeOver) {
    if (!takeOver) {
      return cameras.putIfAbsent(session.cameraId(), session);
    }
    CameraSession old = cameras.put(session.cameraId(), session);
    if (old != null) {
      Object by = session.channel().remoteAddress();
      onItsEventLoop(old, c -> c.takenOver(by));
    }
    return null;
  }

  /** Runs {@code action} on the session's connection, on its event loop (if it is still there). */
  private static void onItsEventLoop(
      CameraSession s, java.util.function.Consumer<CameraConnection> action) {
    s.channel()
        .eventLoop()
        .execute(
            () -> {
              CameraConnection c = s.channel().pipeline().get(CameraConnection.class);
              if (c != null) {
                action.accept(c);
              }
            });
  }

  /** A tokenless camera connected: a warning, the first time and then at every power of two. */
  void onTokenlessConnect(String cameraId, Object from) {
    long n = tokenlessConnects.incrementAndGet();
    if (ErrorLog.shouldLog(n)) {
      LOG.log(
          Level.WARNING,
          "camera {0} connected from {1} without a token (ingest.cameras.{0}.tokenless): its id is"
              + " not protected ({2} tokenless connect(s) so far)",
          cameraId,
          from,
          String.valueOf(n));
    }
  }

  void unregister(CameraSession session) {
    cameras.remove(session.cameraId(), session);
  }

  InspectionPipeline pipeline() {
    return pipeline;
  }

  NanoClock clock() {
    return clock;
  }

  int maxMessageBytes() {
    return config.maxMessageBytes();
  }

  long maxImagePixels() {
    return config.maxImagePixels();
  }

  int idleTimeoutMs() {
    return config.idleTimeoutMs();
  }

  int budgetMs() {
    return line.budgetMs();
  }

  String lineName() {
    return line.name();
  }
}
