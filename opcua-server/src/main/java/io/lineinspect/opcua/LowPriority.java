package io.lineinspect.opcua;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads of the OPC UA server, named by role and run at the lowest normal priority (Linux nice 19,
 * set per thread with {@code renice}): encryption, encoding and publishing for many clients compete
 * with inference for the same cores, and the line must win. Nice 19 is not the idle class: the
 * server still gets a share when the machine is saturated, so clients are slowed, not starved.
 * Where {@code renice} is missing the threads run at normal priority (logged once).
 */
final class LowPriority implements ThreadFactory {
  private static final System.Logger LOG = System.getLogger(LowPriority.class.getName());
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final String prefix;
  private final AtomicInteger next = new AtomicInteger();

  LowPriority(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t =
        new Thread(
            () -> {
              lowerCallingThread();
              r.run();
            },
            prefix + next.getAndIncrement());
    t.setDaemon(true);
    return t;
  }

  /** Nice 19 for the calling thread; false when it could not be done. */
  static boolean lowerCallingThread() {
    try {
      String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
      Process p =
          new ProcessBuilder("renice", "-n", "19", "-p", tid)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return true;
      }
      p.destroy();
      warnOnce("renice -n 19 failed");
    } catch (Exception e) {
      warnOnce(e.toString());
    }
    return false;
  }

  private static void warnOnce(String why) {
    if (WARNED.compareAndSet(false, true)) {
      LOG.log(Level.WARNING, "opcua: threads run at normal priority ({0})", why);
    }
  }
}
