package io.lineinspect.core.health;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts errors of one place (a stage loop, a verdict listener, a backend's output check) and logs
 * them de-duplicated: the first one, then at every power of two, with the running count, so a fault
 * that repeats on every frame costs a few log lines an hour instead of flooding the console (in the
 * manner of Aeron's {@code DistinctErrorLog}). Thread-safe.
 */
public final class ErrorLog {
  private final System.Logger log;
  private final String what;
  private final AtomicLong count = new AtomicLong();
  private volatile String last;

  /**
   * @param log where the lines go
   * @param what names the place in every line, e.g. "verdict listener AuditLog"
   */
  public ErrorLog(System.Logger log, String what) {
    this.log = log;
    this.what = what;
  }

  /** Counts one error; logs it when the count is 1 or a power of two. */
  public void error(String detail, Throwable cause) {
    long n = count.incrementAndGet();
    last = detail;
    if (shouldLog(n)) {
      String line = what + ": " + detail + " (" + n + (n == 1 ? " error" : " errors") + " so far)";
      if (cause != null) {
        log.log(Level.ERROR, line, cause);
      } else {
        log.log(Level.ERROR, line);
      }
    }
  }

  /**
   * The de-duplication rule, for places that count in their own field and log their own line: true
   * for the 1st, 2nd, 4th, 8th … occurrence (a count that is a power of two), so a fault repeating
   * on every frame costs about one line per doubling.
   *
   * @param count occurrences so far, this one included
   */
  public static boolean shouldLog(long count) {
    return count > 0 && (count & (count - 1)) == 0;
  }

  /** As {@link #error(String, Throwable)}, the detail being the exception itself. */
  public void error(Throwable cause) {
    error(String.valueOf(cause), cause);
  }

  public long count() {
    return count.get();
  }

  /** The latest error's detail, or null when none happened. */
  public String last() {
    return last;
  }

  public String what() {
    return what;
  }
}
