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

  /** All the given listeners in order (nulls skipped), or null when none is given. */
  static VerdictListener all(VerdictListener... listeners) {
    VerdictListener[] present =
        java.util.Arrays.stream(listeners)
            .filter(java.util.Objects::nonNull)
            .toArray(VerdictListener[]::new);
    if (present.length == 0) {
      return null;
    }
    if (present.length == 1) {
      return present[0];
    }
    return v -> {
      for (VerdictListener l : present) {
        l.onVerdict(v);
      }
    };
  }
}
