package io.lineinspect.camera.ingest;

import io.lineinspect.camera.protocol.ErrorCode;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the camera server: connections, frames, protocol errors by code, and verdicts that
 * could not be delivered because the camera had gone. Thread-safe.
 */
public final class IngestMetrics {
  private final LongAdder connectionsOpened = new LongAdder();
  private final LongAdder connectionsClosed = new LongAdder();
  private final LongAdder frames = new LongAdder();
  private final LongAdder truncatedAtDisconnect = new LongAdder();
  private final LongAdder verdictsUndeliverable = new LongAdder();
  private final LongAdder[] errors = new LongAdder[ErrorCode.values().length];

  IngestMetrics() {
    for (int i = 0; i < errors.length; i++) {
      errors[i] = new LongAdder();
    }
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
