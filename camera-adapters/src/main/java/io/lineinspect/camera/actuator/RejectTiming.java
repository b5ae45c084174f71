package io.lineinspect.camera.actuator;

import io.lineinspect.core.actuate.RejectOrder;

/** Small helpers shared by the outputs. */
final class RejectTiming {
  private RejectTiming() {}

  /** How late, in µs, a reject is right now compared with its due time (negative = early). */
  static long latenessUs(RejectOrder o) {
    return (System.nanoTime() - o.fireAtNs()) / 1_000;
  }

  /** Lateness of a reject whose due time (monotonic ns) was captured earlier. */
  static long latenessUs(long fireAtNs) {
    return (System.nanoTime() - fireAtNs) / 1_000;
  }
}
