package io.lineinspect.core.time;

/**
 * The service's monotonic clock, injected into every stage so tests can advance time instead of
 * sleeping. Values are only meaningful as differences; compare as {@code a - b < 0}.
 */
@FunctionalInterface
public interface NanoClock {
  /** The system monotonic clock. */
  NanoClock SYSTEM = System::nanoTime;

  long nanoTime();
}
