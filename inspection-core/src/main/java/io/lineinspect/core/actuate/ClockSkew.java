package io.lineinspect.core.actuate;

/**
 * Why a frame's capture time was not trusted to time its reject (it was timed from receipt
 * instead); counted per camera. The rule is in docs/actuators.md ("Which t").
 */
public enum ClockSkew {
  /** The capture time is more than {@code maxClockSkewMs} after the frame's receipt. */
  FUTURE,
  /** The camera's heartbeat offset estimate is off by more than {@code maxClockSkewMs}. */
  OFFSET,
  /**
   * No heartbeat estimate, and the capture time is more than {@code maxTransitMs + maxClockSkewMs}
   * before the frame's receipt.
   */
  PAST;

  private static final ClockSkew[] ALL = values();

  static ClockSkew[] all() {
    return ALL;
  }
}
