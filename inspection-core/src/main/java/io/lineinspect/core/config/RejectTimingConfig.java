package io.lineinspect.core.config;

/**
 * When a reject fires. A part captured at time {@code t} reaches the reject gate at {@code t +
 * travelMs}; the actuator is fired {@code responseMs} earlier so that its mechanics meet the part.
 *
 * @param travelMs time from capture to the reject gate; defaults to {@code line.geometry} (distance
 *     / speed) and is required when the line gives only {@code budgetMs}
 * @param responseMs the actuator's own reaction time, fired this much earlier (default 0)
 * @param clock {@code capture} (default): from the capture time the camera put in the frame, which
 *     needs the camera's clock synchronised with the service's (PTP/NTP); {@code receipt}: from the
 *     moment the service received the frame (for cameras without a synchronised clock)
 * @param lateToleranceMs a reject may still fire this late and hit its part (set it from the gate:
 *     half the time a part spends in front of the pusher); a reject that would fire later is a
 *     missed reject and never fires (default 5)
 * @param maxClockSkewMs how far a camera's clock may be off the service's: a capture time further
 *     in the future than this, or a camera whose heartbeat offset estimate is off by more, is not
 *     trusted: the reject is timed from receipt instead and the skew is counted (default 20)
 * @param maxTransitMs the longest normal time from capture to receipt (exposure, readout, encoding,
 *     network); for a camera without a heartbeat estimate a capture time more than {@code
 *     maxTransitMs + maxClockSkewMs} before receipt is not trusted (default 30)
 * @param clockWindowMs how long a camera's timestamped HEARTBEAT counts in its clock offset
 *     estimate (default 10000)
 * @param queueSize verdicts waiting for the scheduler; a power of two (default 1024)
 * @param schedulerRealtimePriority when set (1..99), the {@code reject-scheduler} thread asks Linux
 *     for {@code SCHED_FIFO} at this priority ({@code chrt --fifo}; needs root or {@code
 *     CAP_SYS_NICE}, else it keeps normal priority and says so once). Null (default): normal
 *     priority. Only matters for outputs the service times itself ({@code firing: service})
 */
public record RejectTimingConfig(
    Double travelMs,
    Double responseMs,
    String clock,
    Double lateToleranceMs,
    Double maxClockSkewMs,
    Double maxTransitMs,
    Integer clockWindowMs,
    Integer queueSize,
    Integer schedulerRealtimePriority) {
  public RejectTimingConfig {
    if (travelMs != null) {
      travelMs = Check.doubleIn("actuators.timing.travelMs", travelMs, 0, 1, 600_000);
    }
    responseMs = Check.doubleIn("actuators.timing.responseMs", responseMs, 0, 0, 10_000);
    clock = Check.oneOf("actuators.timing.clock", clock, "capture", "capture", "receipt");
    lateToleranceMs =
        Check.doubleIn("actuators.timing.lateToleranceMs", lateToleranceMs, 5, 0, 10_000);
    maxClockSkewMs =
        Check.doubleIn("actuators.timing.maxClockSkewMs", maxClockSkewMs, 20, 0, 60_000);
    maxTransitMs = Check.doubleIn("actuators.timing.maxTransitMs", maxTransitMs, 30, 0, 60_000);
    clockWindowMs =
        Check.intIn("actuators.timing.clockWindowMs", clockWindowMs, 10_000, 100, 3_600_000);
    queueSize = Check.intIn("actuators.timing.queueSize", queueSize, 1024, 16, 1 << 20);
    if (schedulerRealtimePriority != null) {
      Check.intIn(
          "actuators.timing.schedulerRealtimePriority", schedulerRealtimePriority, null, 1, 99);
    }
    if (Integer.bitCount(queueSize) != 1) {
      throw new ConfigException(
          "actuators.timing.queueSize: must be a power of two, got " + queueSize);
    }
  }

  /** Whether rejects are timed from the camera's capture time (else from receipt). */
  public boolean fromCapture() {
    return "capture".equals(clock);
  }

  /** The same settings with {@code travelMs} filled in. */
  public RejectTimingConfig withTravelMs(double travel) {
    return new RejectTimingConfig(
        travel,
        responseMs,
        clock,
        lateToleranceMs,
        maxClockSkewMs,
        maxTransitMs,
        clockWindowMs,
        queueSize,
        schedulerRealtimePriority);
  }

  /** Settings at normal scheduler priority. */
  public RejectTimingConfig(
      Double travelMs,
      Double responseMs,
      String clock,
      Double lateToleranceMs,
      Double maxClockSkewMs,
      Double maxTransitMs,
      Integer clockWindowMs,
      Integer queueSize) {
    this(
        travelMs,
        responseMs,
        clock,
        lateToleranceMs,
        maxClockSkewMs,
        maxTransitMs,
        clockWindowMs,
        queueSize,
        null);
  }

  /** The same settings with the scheduler's real-time priority set (null: normal). */
  public RejectTimingConfig withSchedulerRealtimePriority(Integer priority) {
    return new RejectTimingConfig(
        travelMs,
        responseMs,
        clock,
        lateToleranceMs,
        maxClockSkewMs,
        maxTransitMs,
        clockWindowMs,
        queueSize,
        priority);
  }

  public static RejectTimingConfig defaults() {
    return new RejectTimingConfig(null, null, null, null, null, null, null, null, null);
  }
}
