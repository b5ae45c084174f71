package io.lineinspect.camera.ingest;

import io.lineinspect.camera.protocol.ErrorCode;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the camera server: connections, frames, protocol errors by code, verdicts that could
 * not be delivered because the camera had gone, and each client limit that was hit. Thread-safe.
 */
public final class IngestMetrics {
  /** The limits that keep one client from hurting another ({@code ingest:} keys). */
  public enum Limit {
    /** A connection refused at accept: {@code ingest.maxConnections} were open. */
    CONNECTIONS,
    /** A connection refused at accept: {@code ingest.maxConnectionsPerAddress} from its address. */
    CONNECTIONS_PER_ADDRESS,
    /** A connection closed without HELLO after {@code ingest.helloTimeoutMs}. */
    HELLO_TIMEOUT,
    /** A connection closed: one message took longer than {@code ingest.messageTimeoutMs}. */
    MESSAGE_TIMEOUT,
    /** A connection paused: its message did not fit into {@code ingest.maxBufferedBytes}. */
    BUFFER_WAIT,
    /** A frame above its camera's {@code ingest.maxFramesPerSecond}: OVERLOAD at once. */
    FRAME_RATE,
    /**
     * A connection closed because its TLS handshake failed ({@code ingest.tls}): no, a wrong or an
     * untrusted client certificate, a plain TCP client on a TLS port, no common protocol, or no
     * handshake within {@code ingest.tls.handshakeTimeoutMs}.
     */
    TLS_HANDSHAKE
  }

  private final LongAdder[] limits = new LongAdder[Limit.values().length];
  private final java.util.concurrent.atomic.AtomicLong bufferedBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.LongAccumulator longestReadUs =
      new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);
  private final LongAdder connectionsOpened = new LongAdder();
  private final LongAdder tlsHandshakes = new LongAdder();
  private final LongAdder connectionsClosed = new LongAdder();
  private final LongAdder frames = new LongAdder();
  private final LongAdder truncatedAtDisconnect = new LongAdder();
  private final LongAdder verdictsUndeliverable = new LongAdder();
  private final LongAdder[] errors = new LongAdder[ErrorCode.values().length];

  IngestMetrics() {
    for (int i = 0; i < errors.length; i++) {
      errors[i] = new LongAdder();
    }
    for (int i = 0; i < limits.length; i++) {
      limits[i] = new LongAdder();
    }
  }

  void onLimit(Limit limit) {
    limits[limit.ordinal()].increment();
  }

  /** How often {@code limit} was hit. */
  public long limited(Limit limit) {
    return limits[limit.ordinal()].sum();
  }

  /**
   * Tries to reserve {@code bytes} of the buffer budget {@code max}; false when they do not fit.
   */
  boolean tryReserve(long bytes, long max) {
    while (true) {
      long now = bufferedBytes.get();
      if (now + bytes > max) {
        return false;
      }
      if (bufferedBytes.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    bufferedBytes.addAndGet(-bytes);
  }

  /** Bytes of incomplete messages reserved now, all connections together. */
  public long bufferedBytes() {
    return bufferedBytes.get();
  }

  void onFrameRead(long firstByteToLastByteNs) {
    longestReadUs.accumulate(firstByteToLastByteNs / 1_000);
  }

  /**
   * The longest time a FRAME took from its first byte to its last, in microseconds (the frame's
   * budget counts from its first byte: this is how much of it the transfer itself used).
   */
  public long longestFrameReadUs() {
    return longestReadUs.get();
  }

  void onTlsHandshake() {
    tlsHandshakes.increment();
  }

  /** TLS handshakes completed ({@code ingest.tls}); the failed ones count as {@link Limit}. */
  public long tlsHandshakes() {
    return tlsHandshakes.sum();
  }

  void onConnect() {
    connectionsOpened.increment();
  }

  void onDisconnect() {
    connectionsClosed.increment();
  }

  void onFrame() {
    frames.increment();
  }

  void onError(ErrorCode code) {
    errors[code.ordinal()].increment();
  }

  void onTruncated() {
    truncatedAtDisconnect.increment();
  }

  void onUndeliverable(int n) {
    verdictsUndeliverable.add(n);
  }

  public long connectionsOpen() {
    return connectionsOpened.sum() - connectionsClosed.sum();
  }

  /** FRAME messages received (well-framed, after HELLO), whatever their content. */
  public long frames() {
    return frames.sum();
  }

  public long errors(ErrorCode code) {
    return errors[code.ordinal()].sum();
  }

  /** Connections that closed with a partial message in the buffer. */
  public long truncatedAtDisconnect() {
    return truncatedAtDisconnect.sum();
  }

  /** Verdicts produced for frames whose camera had disconnected before they could be sent. */
  public long verdictsUndeliverable() {
    return verdictsUndeliverable.sum();
  }
}
