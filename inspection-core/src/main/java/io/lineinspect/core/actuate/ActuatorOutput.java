package io.lineinspect.core.actuate;

/**
 * A reject actuator output: a PLC coil, a signal line, a log. Implementations live with the other
 * I/O adapters ({@code camera-adapters}, package {@code io.lineinspect.camera.actuator}), never in
 * the core.
 *
 * <p>Threads: {@link #onVerdict} and {@link #fire} are called on the {@code reject-scheduler}
 * thread only; {@link #alarm} may come from any thread and must be thread-safe. They must not
 * block: send asynchronously and report outcomes through the {@link ActuatorEvents} given to {@link
 * #start}. An output that is disconnected reports {@link MissCause#NOT_CONNECTED} for each reject
 * at once and reconnects by itself, with backoff; it never queues a reject to send later (a late
 * pulse would hit the wrong part).
 */
public interface ActuatorOutput extends AutoCloseable {
  /** The output's configured name. */
  String name();

  /** Starts connecting in the background; returns at once. */
  void start(ActuatorEvents events);

  /** Every verdict, PASS or FAIL, as soon as it is decided (before its reject is due). */
  default void onVerdict(RejectOrder order) {}

  /** The reject of a FAIL part is due now. Not called when every output {@link #timesRejects}. */
  void fire(RejectOrder order);

  /**
   * A warm-up verdict (before the first camera is accepted): run what {@link #onVerdict} and {@link
   * #fire} would compute — encode the registers, format the line — without sending anything or
   * counting anything, so the first real part does not pay for cold code. Scheduler thread.
   */
  default void dryRun(RejectOrder order) {}

  /**
   * True when the device fires the stroke itself at the order's due time (a PLC that is handed each
   * reject in {@link #onVerdict}, with its due time, and keeps it in its own shift register): the
   * output then counts every outcome of its rejects itself, late arrivals included, and the
   * scheduler neither times nor fires them. False (default): the scheduler calls {@link #fire} at
   * the due time.
   */
  default boolean timesRejects() {
    return false;
  }

  /** A reject was missed somewhere (any output): raise the line's alarm if this output has one. */
  default void alarm(MissCause cause, String partId) {}

  /**
   * The service is unhealthy ({@code problem} names the stage or condition): raise the line's alarm
   * if this output has one. Called from any thread, repeatedly (about once a second) while the
   * problem lasts, so an alarm the PLC acknowledged comes back until the service is healthy.
   */
  default void healthAlarm(String problem) {}

  /** Whether the output can deliver right now. */
  boolean connected();

  /** Stops the output; pending writes may be dropped. */
  @Override
  void close();
}
