package io.lineinspect.core.inference;

import java.util.concurrent.CancellationException;
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
  private volatile boolean cancelled;

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
   * From now on {@link #awaitIdle()} and {@link #rest(long)} throw {@link CancellationException}:
   * work paced by this pacer stops at its next step (the service is stopping).
   */
  public void cancel() {
    cancelled = true;
  }

  private void checkCancelled() {
    if (cancelled) {
      throw new CancellationException("cancelled: the service is stopping");
    }
  }

  /**
   * Waits until the line is idle or {@code maxWaitNs} has passed.
   *
   * @return true when the line was idle
   * @throws CancellationException after {@link #cancel()}
   */
  public boolean awaitIdle() {
    checkCancelled();
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

  /**
   * Puts the calling thread in Linux's {@code SCHED_IDLE} class ({@code chrt --idle}): it then runs
   * only on CPU time no other thread wants, so model work beside the line (a candidate's loading,
   * warm-up and golden-set check, a shadow model) cannot slow the line's own threads. On a machine
   * without {@code /proc/thread-self} or {@code chrt} it stays as it is (the pacing still applies)
   * and says so once.
   *
   * @return true when the thread runs at idle priority now
   */
  public static boolean lowerCallingThreadPriority() {
    String tid;
    try {
      tid =
          java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"))
              .getFileName()
              .toString();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      warnOnce("no /proc/thread-self: " + e.getMessage());
      return false;
    }
    try {
      Process p =
          new ProcessBuilder("chrt", "--idle", "--pid", "0", tid).redirectErrorStream(true).start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        warnOnce("chrt did not finish in 5 s");
        return false;
      }
      if (p.exitValue() != 0) {
        warnOnce("chrt --idle failed (" + p.exitValue() + "): " + out.strip());
        return false;
      }
      return true;
    } catch (java.io.IOException e) {
      warnOnce("chrt is not available (util-linux): " + e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private static void warnOnce(String why) {
    if (WARNED.compareAndSet(false, true)) {
      System.getLogger(Pacer.class.getName())
          .log(
              System.Logger.Level.WARNING,
              "model work beside the line keeps normal priority ("
                  + why
                  + "); only the duty cycle and idle waits protect the line's latency");
    }
  }

  /**
   * Sleeps so that {@code busyNs} of work is {@code dutyCycle} of the time (no-op at 1).
   *
   * @throws CancellationException after {@link #cancel()}
   */
  public void rest(long busyNs) {
    checkCancelled();
    if (dutyCycle < 1.0 && busyNs > 0) {
      LockSupport.parkNanos((long) (busyNs * (1.0 / dutyCycle - 1.0)));
    }
  }
}
