package io.lineinspect.core.inference;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Keeps work done beside the line (a candidate's warm-up and golden-set check, a shadow model) to
 * spare capacity: before each unit of work it waits, up to {@code maxWaitNs}, until the line has
 * nothing in flight; after it, it sleeps so the work takes at most {@code dutyCycle} of the time.
 * With a model that uses every core, an overlap with a live batch slows that batch; waiting for an
 * idle line makes the overlap rare and short, the duty cycle leaves gaps for the next frames.
 */
public final class Pacer {
  /** No waiting, no sleeping: the line is not running yet (start-up warm-up). */
  public static final Pacer FULL_SPEED = new Pacer(1.0, () -> true, 0);

  private static final long POLL_NS = 200_000;

  private final double dutyCycle;
  private final BooleanSupplier lineIdle;
  private final long maxWaitNs;

  /**
   * @param dutyCycle share of wall time spent working, in (0, 1]
   * @param lineIdle true when no frame is waiting or being judged
   * @param maxWaitNs the longest wait for an idle line before working anyway (a line that is never
   *     idle must not stall the work forever)
   */
  public Pacer(double dutyCycle, BooleanSupplier lineIdle, long maxWaitNs) {
    if (!(dutyCycle > 0 && dutyCycle <= 1)) {
      throw new IllegalArgumentException("dutyCycle must be in (0, 1], got " + dutyCycle);
    }
    this.dutyCycle = dutyCycle;
    this.lineIdle = lineIdle;
    this.maxWaitNs = maxWaitNs;
  }

  /**
   * Waits until the line is idle or {@code maxWaitNs} has passed.
   *
   * @return true when the line was idle
   */
  public boolean awaitIdle() {
    if (lineIdle.getAsBoolean()) {
      return true;
    }
    long end = System.nanoTime() + maxWaitNs;
    while (System.nanoTime() - end < 0) {
      LockSupport.parkNanos(POLL_NS);
      if (lineIdle.getAsBoolean()) {
        return true;
      }
    }
    return false;
  }

  /** Sleeps so that {@code busyNs} of work is {@code dutyCycle} of the time (no-op at 1). */
  public void rest(long busyNs) {
    if (dutyCycle < 1.0 && busyNs > 0) {
      LockSupport.parkNanos((long) (busyNs * (1.0 / dutyCycle - 1.0)));
    }
  }
}
