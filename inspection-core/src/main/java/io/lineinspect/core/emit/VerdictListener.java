package io.lineinspect.core.emit;

/**
 * Observes every verdict right after it was handed to its camera connection: metrics, the reject
 * scheduler, the audit trail, the image archive, drift monitoring, the shadow model.
 *
 * <p>Called on the inference thread, on the deadline watchdog, or on an ingest thread for verdicts
 * decided at ingest (OVERLOAD), while the frame's source is locked: implementations must be
 * thread-safe, fast and non-blocking, and must copy what they keep from the reused {@link
 * VerdictView}.
 *
 * <p>A listener can fail, the line cannot: combine listeners with {@link #all}, which isolates each
 * one ({@link IsolatedListeners}): an exception is counted for that listener and logged
 * de-duplicated, and the verdict still reaches the others.
 */
@FunctionalInterface
public interface VerdictListener {
  void onVerdict(VerdictView verdict);

  /**
   * A verdict of the service's warm-up ({@link VerdictView#warmUp()}): no part was inspected. The
   * default does nothing, so a listener never records, counts, archives or actuates a warm-up
   * verdict unless it opts in with a dry run of its own (which must leave no trace: no record, no
   * metric, no output).
   */
  default void onWarmUpVerdict(VerdictView verdict) {}

  /** The name this listener's errors are counted under (default: its class's simple name). */
  default String listenerName() {
    String n = getClass().getSimpleName();
    return n.isEmpty() || n.contains("$$Lambda") || n.contains("$Lambda") ? "listener" : n;
  }

  /**
   * All the given listeners in order (nulls skipped), each isolated from the others' exceptions, or
   * null when none is given.
   */
  static IsolatedListeners all(VerdictListener... listeners) {
    return IsolatedListeners.of(listeners);
  }
}
