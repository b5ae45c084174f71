package io.lineinspect.camera.actuator;

/**
 * Reconnect delays: {@code min}, doubled after each failure up to {@code max}; reset on success.
 */
final class Backoff {
  private final long minMs;
  private final long maxMs;
  private long nextMs;

  Backoff(long minMs, long maxMs) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.nextMs = minMs;
  }

  /** The delay before the next attempt; doubles the one after. */
  synchronized long next() {
    long d = nextMs;
    nextMs = Math.min(maxMs, nextMs * 2);
    return d;
  }

  synchronized void reset() {
    nextMs = minMs;
  }
}
