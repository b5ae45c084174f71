package io.lineinspect.core.health;

import java.util.concurrent.TimeUnit;

/**
 * The health of one stage thread (a loop such as {@code infer-0}, {@code deadline-watchdog}, {@code
 * reject-scheduler}, {@code audit-writer}): its thread, a heartbeat the loop ticks on every pass,
 * its errors, and whether it failed for good. {@link StageHealth} reads these to answer {@code
 * /health}.
 *
 * <p>A stage loop follows Aeron's {@code AgentRunner}: every pass is wrapped in a catch that counts
 * the error ({@link #error}) and continues; only a stage that truly cannot continue calls {@link
 * #fail}. A stage is unhealthy when its thread died, it failed, or its heartbeat is older than its
 * stall limit while it was not stopped on purpose.
 *
 * <p>Threading: {@link #beat} and {@link #error} are called by the stage's own thread; the rest
 * from any thread.
 */
public final class Stage {
  private static final System.Logger LOG = System.getLogger(Stage.class.getName());

  private final String name;
  private final long stallNs;
  private final ErrorLog errors;
  private volatile Thread thread;
  private volatile long lastBeatNs;
  private volatile String failure;
  private volatile boolean stopped;

  /**
   * @param name the stage's thread name
   * @param stallMs how long the heartbeat may stay still before the stage counts as stalled (0: a
   *     stage that may wait arbitrarily long between beats; only death and failure count)
   */
  public Stage(String name, long stallMs) {
    this.name = name;
    this.stallNs = TimeUnit.MILLISECONDS.toNanos(stallMs);
    this.errors = new ErrorLog(LOG, "stage " + name);
    this.lastBeatNs = System.nanoTime();
  }

  public String name() {
    return name;
  }

  /**
   * Called on the stage's thread when it starts: records the thread (to see it die) and installs an
   * uncaught-exception handler that marks the stage failed, so a death is never silent.
   */
  public void started() {
    Thread t = Thread.currentThread();
    Thread.UncaughtExceptionHandler previous = t.getUncaughtExceptionHandler();
    t.setUncaughtExceptionHandler(
        (th, ex) -> {
          fail("thread died: " + ex);
          LOG.log(System.Logger.Level.ERROR, "stage " + name + ": thread died", ex);
          if (previous != null && previous != th.getThreadGroup()) {
            previous.uncaughtException(th, ex);
          }
        });
    thread = t;
    stopped = false;
    beat();
  }

  /** Records the thread without running on it (for a thread the stage does not control). */
  public void watch(Thread t) {
    thread = t;
    beat();
  }

  /** The loop made a pass. Cheap: one volatile write. */
  public void beat() {
    lastBeatNs = System.nanoTime();
  }

  /** Counts an error of one pass; the stage continues. */
  public void error(Throwable cause) {
    errors.error(cause);
  }

  /** Counts an error of one pass with a detail of its own; the stage continues. */
  public void error(String detail, Throwable cause) {
    errors.error(detail, cause);
  }

  /** The stage cannot continue: it stays unhealthy (until {@link #recovered()}). */
  public void fail(String why) {
    if (failure == null) {
      LOG.log(System.Logger.Level.ERROR, "stage " + name + " FAILED: " + why);
    }
    failure = why;
  }

  /** Clears a failure the stage recovered from by itself (e.g. a disk that came back). */
  public void recovered() {
    if (failure != null) {
      LOG.log(System.Logger.Level.INFO, "stage " + name + " recovered (was: " + failure + ")");
    }
    failure = null;
  }

  /** The stage ended on purpose (service stopping): no longer judged for health. */
  public void stopped() {
    stopped = true;
  }

  public long errors() {
    return errors.count();
  }

  public String lastError() {
    return errors.last();
  }

  /** Milliseconds since the last heartbeat. */
  public long sinceBeatMs(long nowNs) {
    return TimeUnit.NANOSECONDS.toMillis(nowNs - lastBeatNs);
  }

  /** Why this stage is unhealthy now, or null when it is healthy (or stopped on purpose). */
  public String problem(long nowNs) {
    if (stopped) {
      return null;
    }
    String f = failure;
    if (f != null) {
      return name + ": " + f;
    }
    Thread t = thread;
    if (t != null && !t.isAlive()) {
      return name + ": thread is not running";
    }
    if (t != null && stallNs > 0 && nowNs - lastBeatNs - stallNs > 0) {
      return name + ": stalled (no progress for " + sinceBeatMs(nowNs) + " ms)";
    }
    return null;
  }
}
