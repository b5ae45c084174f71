package io.lineinspect.core.actuate;

/**
 * What outputs report back, from any thread (completions of asynchronous writes arrive on I/O
 * threads): implementations are thread-safe. Implemented by {@link ActuatorMetrics}.
 */
public interface ActuatorEvents {
  /** A reject was sent to the device. */
  void fired(String output);

  /** The device confirmed the reject of part {@code cameraId#sequence}. */
  void delivered(String output, String cameraId, long sequence, long fireLatenessUs);

  /** A reject did not reach its part; {@code detail} says what the device or socket said. */
  void missed(String output, MissCause cause, String cameraId, long sequence, String detail);

  /**
   * Something went wrong that is not a missed reject (a PASS verdict's registers not written, a
   * coil that could not be switched off): counted and logged, rate-limited like misses.
   */
  void problem(String output, String detail);

  /** The output's connection came up or went down. */
  void connection(String output, boolean up, String detail);
}
