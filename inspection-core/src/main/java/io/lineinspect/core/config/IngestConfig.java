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
 */
public record IngestConfig(
    String host,
    Integer port,
    Integer maxMessageBytes,
    Integer idleTimeoutMs,
    Integer ioThreads,
    String transport) {
  public IngestConfig {
    host = Check.text("ingest.host", host, "127.0.0.1");
    port = Check.intIn("ingest.port", port, 7600, 0, 65_535);
    maxMessageBytes =
        Check.intIn("ingest.maxMessageBytes", maxMessageBytes, 8 << 20, 1024, 256 << 20);
    idleTimeoutMs = Check.intIn("ingest.idleTimeoutMs", idleTimeoutMs, 10_000, 100, 3_600_000);
    ioThreads = Check.intIn("ingest.ioThreads", ioThreads, 1, 1, 64);
    transport = Check.oneOf("ingest.transport", transport, "auto", "auto", "epoll", "nio");
  }

  /** The same settings listening on {@code host:port} (the demo uses loopback and a free port). */
  public IngestConfig listeningOn(String host, int port) {
    return new IngestConfig(host, port, maxMessageBytes, idleTimeoutMs, ioThreads, transport);
  }

  /** All defaults. */
  public static IngestConfig defaults() {
    return new IngestConfig(null, null, null, null, null, null);
  }
}
