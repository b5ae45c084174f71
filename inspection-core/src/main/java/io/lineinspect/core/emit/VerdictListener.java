package io.lineinspect.core.emit;

/**
 * Observes every verdict right after it was handed to its camera connection: metrics today; the
 * reject actuator and the audit trail plug in here.
 *
 * <p>Called on the inference thread, or on an ingest thread for verdicts decided at ingest
 * (OVERLOAD), while the frame's source is locked: implementations must be thread-safe, fast and
 * non-blocking, and must copy what they keep from the reused {@link VerdictView}.
 */
@FunctionalInterface
public interface VerdictListener {
  void onVerdict(VerdictView verdict);
}
