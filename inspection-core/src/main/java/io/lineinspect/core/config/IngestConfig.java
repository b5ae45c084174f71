package io.lineinspect.core.config;

/**
 * The camera-facing TCP server.
 *
 * @param host address to bind (default 127.0.0.1; use 0.0.0.0 for cameras on the line network)
 * @param port TCP port (default 7600; 0 picks a free port)
 * @param maxMessageBytes largest message body accepted; bigger is a fatal protocol error (default 8
 *     MiB)
 * @param idleTimeoutMs a camera that sends nothing for this long is disconnected (default 10000)
 * @param ioThreads Netty event-loop threads (default 1)
 * @param transport {@code auto} (epoll when available, else NIO), {@code epoll} or {@code nio}
 * @param maxImagePixels the largest width × height a frame may declare, in its frame header and,
 *     for JPEG/PNG, in the payload's own header; a larger one is refused (BAD_IMAGE) before any
 *     decoder runs (default 36 000 000, e.g. 6000x6000; 1..2147483647)
 */
public record IngestConfig(
    String host,
    Integer port,
    Integer maxMessageBytes,
    Integer idleTimeoutMs,
    Integer ioThreads,
    String transport,
    Integer maxImagePixels) {
  /** Default {@link #maxImagePixels}: a 36-megapixel frame (6000x6000, 7360x4912 is 36.2 MP). */
  public static final int DEFAULT_MAX_IMAGE_PIXELS = 36_000_000;

  public IngestConfig {
    host = Check.text("ingest.host", host, "127.0.0.1");
    port = Check.intIn("ingest.port", port, 7600, 0, 65_535);
    maxMessageBytes =
        Check.intIn("ingest.maxMessageBytes", maxMessageBytes, 8 << 20, 1024, 256 << 20);
    idleTimeoutMs = Check.intIn("ingest.idleTimeoutMs", idleTimeoutMs, 10_000, 100, 3_600_000);
    ioThreads = Check.intIn("ingest.ioThreads", ioThreads, 1, 1, 64);
    transport = Check.oneOf("ingest.transport", transport, "auto", "auto", "epoll", "nio");
    maxImagePixels =
        Check.intIn(
            "ingest.maxImagePixels",
            maxImagePixels,
            DEFAULT_MAX_IMAGE_PIXELS,
            1,
            Integer.MAX_VALUE);
  }

  /** The same settings listening on {@code host:port} (the demo uses loopback and a free port). */
  public IngestConfig listeningOn(String host, int port) {
    return new IngestConfig(
        host, port, maxMessageBytes, idleTimeoutMs, ioThreads, transport, maxImagePixels);
  }

  /** All defaults. */
  public static IngestConfig defaults() {
    return new IngestConfig(null, null, null, null, null, null, null);
  }
}
