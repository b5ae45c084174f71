package io.lineinspect.core.config;

/**
 * The camera-facing TCP server, and the limits that keep one client from hurting another.
 *
 * @param host address to bind (default 127.0.0.1; use 0.0.0.0 for cameras on the line network)
 * @param port TCP port (default 7600; 0 picks a free port)
 * @param maxMessageBytes largest message body accepted; bigger is a fatal protocol error (default 8
 *     MiB)
 * @param idleTimeoutMs a camera that sends nothing for this long is disconnected (default 10000)
 * @param ioThreads Netty event-loop threads (default 1)
 * @param transport the camera server's I/O transport (default {@code auto}: the server chooses),
 *     passed through: the values and their meaning belong to module {@code camera-adapters}, which
 *     checks them when the configuration is loaded ({@code auto}, {@code epoll}, {@code nio})
 * @param maxImagePixels the largest width × height a frame may declare, in its frame header and,
 *     for JPEG/PNG, in the payload's own header; a larger one is refused (BAD_IMAGE) before any
 *     decoder runs (default 36 000 000, e.g. 6000x6000; 1..2147483647)
 * @param maxConnections connections open at once, all addresses together; one more is refused
 *     (fatal CONNECTION_LIMIT) at accept (default 64)
 * @param maxConnectionsPerAddress connections open at once from one source address (default 16)
 * @param helloTimeoutMs a connection that has not completed its HELLO this long after connecting is
 *     closed (fatal HELLO_TIMEOUT; default 2000)
 * @param messageTimeoutMs the longest a message may take from its first byte to its last; a slower
 *     sender is closed (fatal MESSAGE_TIMEOUT; default 2000)
 * @param maxBufferedBytes the most bytes of incomplete messages held for all connections together;
 *     a connection whose message does not fit waits (reading paused) until others' bytes are
 *     consumed; must leave half of the direct memory free (default 128 MiB)
 * @param maxFramesPerSecond per-camera frame-rate ceiling (a bucket holding one second of frames):
 *     frames above it get the fail-safe verdict OVERLOAD at once, counted; 0 = no ceiling (default
 *     1000)
 * @param cameras who may speak for which camera id ({@code ingest.cameras}: id → credential, see
 *     {@link CameraCredentialConfig}); null (the key absent) = the open camera port of protocol v1
 *     before credentials: any client may claim any id, the HELLO token is ignored
 * @param tls TLS on the camera port ({@code ingest.tls}, {@link IngestTlsConfig}); absent = off,
 *     plain TCP
 */
public record IngestConfig(
    String host,
    Integer port,
    Integer maxMessageBytes,
    Integer idleTimeoutMs,
    Integer ioThreads,
    String transport,
    Integer maxImagePixels,
    Integer maxConnections,
    Integer maxConnectionsPerAddress,
    Integer helloTimeoutMs,
    Integer messageTimeoutMs,
    Long maxBufferedBytes,
    Integer maxFramesPerSecond,
    java.util.Map<String, CameraCredentialConfig> cameras,
    IngestTlsConfig tls) {
  /** Default {@link #maxImagePixels}: a 36-megapixel frame (6000x6000, 7360x4912 is 36.2 MP). */
  public static final int DEFAULT_MAX_IMAGE_PIXELS = 36_000_000;

  /** Default {@link #maxBufferedBytes}: 128 MiB, an eighth of {@code bin/inspect}'s 1 GiB cap. */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 128L << 20;

  public IngestConfig {
    host = Check.text("ingest.host", host, "127.0.0.1");
    port = Check.intIn("ingest.port", port, 7600, 0, 65_535);
    maxMessageBytes =
        Check.intIn("ingest.maxMessageBytes", maxMessageBytes, 8 << 20, 1024, 256 << 20);
    idleTimeoutMs = Check.intIn("ingest.idleTimeoutMs", idleTimeoutMs, 10_000, 100, 3_600_000);
    ioThreads = Check.intIn("ingest.ioThreads", ioThreads, 1, 1, 64);
    transport = Check.text("ingest.transport", transport, "auto");
    maxImagePixels =
        Check.intIn(
            "ingest.maxImagePixels",
            maxImagePixels,
            DEFAULT_MAX_IMAGE_PIXELS,
            1,
            Integer.MAX_VALUE);
    maxConnections = Check.intIn("ingest.maxConnections", maxConnections, 64, 1, 100_000);
    maxConnectionsPerAddress =
        Check.intIn(
            "ingest.maxConnectionsPerAddress", maxConnectionsPerAddress, 16, 1, maxConnections);
    helloTimeoutMs = Check.intIn("ingest.helloTimeoutMs", helloTimeoutMs, 2_000, 10, 3_600_000);
    messageTimeoutMs =
        Check.intIn("ingest.messageTimeoutMs", messageTimeoutMs, 2_000, 10, 3_600_000);
    long minBuffered = (long) maxMessageBytes + 8;
    if (maxBufferedBytes == null) {
      maxBufferedBytes = Math.max(DEFAULT_MAX_BUFFERED_BYTES, minBuffered);
    } else if (maxBufferedBytes < minBuffered || maxBufferedBytes > (1L << 40)) {
      throw new ConfigException(
          "ingest.maxBufferedBytes: must be between "
              + minBuffered
              + " (one largest message: ingest.maxMessageBytes + 8) and "
              + (1L << 40)
              + ", got "
              + maxBufferedBytes);
    }
    maxFramesPerSecond =
        Check.intIn("ingest.maxFramesPerSecond", maxFramesPerSecond, 1_000, 0, 1_000_000);
    cameras = checkCameras(cameras);
    tls = tls == null ? IngestTlsConfig.disabled() : IngestTlsConfig.checkComplete(tls);
    if (cameras != null && !(tls.enabled() && tls.clientCaFile() != null)) {
      for (var e : cameras.entrySet()) {
        if (e.getValue().certificateCn() != null) {
          throw new ConfigException(
              "ingest.cameras."
                  + e.getKey()
                  + ".certificateCn: binds the camera to its client certificate, which needs"
                  + " mutual TLS (ingest.tls.enabled: true and ingest.tls.clientCaFile)");
        }
      }
    }
  }

  /** The settings before TLS: the camera port is plain TCP. */
  public IngestConfig(
      String host,
      Integer port,
      Integer maxMessageBytes,
      Integer idleTimeoutMs,
      Integer ioThreads,
      String transport,
      Integer maxImagePixels,
      Integer maxConnections,
      Integer maxConnectionsPerAddress,
      Integer helloTimeoutMs,
      Integer messageTimeoutMs,
      Long maxBufferedBytes,
      Integer maxFramesPerSecond,
      java.util.Map<String, CameraCredentialConfig> cameras) {
    this(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        maxConnections,
        maxConnectionsPerAddress,
        helloTimeoutMs,
        messageTimeoutMs,
        maxBufferedBytes,
        maxFramesPerSecond,
        cameras,
        null);
  }

  /**
   * Every key of {@code ingest.cameras} must be a camera id a HELLO can carry (protocol §4.1), and
   * every entry a credential; an empty section would refuse every camera, so it is an error too.
   */
  private static java.util.Map<String, CameraCredentialConfig> checkCameras(
      java.util.Map<String, CameraCredentialConfig> cameras) {
    if (cameras == null) {
      return null;
    }
    if (cameras.isEmpty()) {
      throw new ConfigException(
          "ingest.cameras: empty: list each camera with its secret, secretFile or tokenless: true"
              + " (or leave the key out for an open camera port)");
    }
    java.util.Map<String, CameraCredentialConfig> checked = new java.util.TreeMap<>();
    cameras.forEach(
        (id, credential) -> {
          if (!CAMERA_ID.matcher(id).matches()) {
            throw new ConfigException(
                "ingest.cameras."
                    + id
                    + ": not a camera id (1-64 characters of A-Z a-z 0-9 . _ : -, not starting"
                    + " with '.')");
          }
          CameraCredentialConfig.checkGiven("ingest.cameras." + id, credential);
          checked.put(id, credential);
        });
    return java.util.Collections.unmodifiableMap(checked);
  }

  /** A camera id as protocol §4.1 allows it (the camera adapters check HELLOs the same way). */
  private static final java.util.regex.Pattern CAMERA_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,63}");

  /** The settings before the client limits existed; the limits get their defaults. */
  public IngestConfig(
      String host,
      Integer port,
      Integer maxMessageBytes,
      Integer idleTimeoutMs,
      Integer ioThreads,
      String transport,
      Integer maxImagePixels) {
    this(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  /** The same settings listening on {@code host:port} (the demo uses loopback and a free port). */
  public IngestConfig listeningOn(String host, int port) {
    return new IngestConfig(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        maxConnections,
        maxConnectionsPerAddress,
        helloTimeoutMs,
        messageTimeoutMs,
        maxBufferedBytes,
        maxFramesPerSecond,
        cameras,
        tls);
  }

  /**
   * The same settings with {@code cameras} as {@code ingest.cameras} (null: an open camera port).
   * The demo configures its own simulated cameras' secrets this way.
   */
  public IngestConfig withCameras(java.util.Map<String, CameraCredentialConfig> cameras) {
    return new IngestConfig(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        maxConnections,
        maxConnectionsPerAddress,
        helloTimeoutMs,
        messageTimeoutMs,
        maxBufferedBytes,
        maxFramesPerSecond,
        cameras,
        tls);
  }

  /** The same settings with other client limits (tests, measurements). */
  public IngestConfig withLimits(
      int maxConnections,
      int maxConnectionsPerAddress,
      int helloTimeoutMs,
      int messageTimeoutMs,
      long maxBufferedBytes,
      int maxFramesPerSecond) {
    return new IngestConfig(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        maxConnections,
        maxConnectionsPerAddress,
        helloTimeoutMs,
        messageTimeoutMs,
        maxBufferedBytes,
        maxFramesPerSecond,
        cameras,
        tls);
  }

  /** The same settings with TLS on the camera port as {@code tls} says (tests, measurements). */
  public IngestConfig withTls(IngestTlsConfig tls) {
    return new IngestConfig(
        host,
        port,
        maxMessageBytes,
        idleTimeoutMs,
        ioThreads,
        transport,
        maxImagePixels,
        maxConnections,
        maxConnectionsPerAddress,
        helloTimeoutMs,
        messageTimeoutMs,
        maxBufferedBytes,
        maxFramesPerSecond,
        cameras,
        tls);
  }

  /** All defaults. */
  public static IngestConfig defaults() {
    return new IngestConfig(null, null, null, null, null, null, null);
  }
}
