package io.lineinspect.core.actuate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Puts the calling thread in Linux's {@code SCHED_FIFO} class ({@code chrt --fifo --pid P tid},
 * like {@code Pacer.lowerCallingThreadPriority} does for {@code SCHED_IDLE}): it then preempts
 * every normal thread of the host as soon as it wakes. Used for the {@code reject-scheduler} thread
 * when {@code actuators.timing.schedulerRealtimePriority} is set. Needs root or {@code
 * CAP_SYS_NICE}; without it (or without {@code chrt}) the thread keeps its priority and the caller
 * logs why.
 */
public final class RealtimePriority {
  private RealtimePriority() {}

  /**
   * @param priority 1..99
   * @return null when the calling thread now runs {@code SCHED_FIFO} at {@code priority}, else why
   *     not
   */
  public static String applyToCallingThread(int priority) {
    String tid;
    try {
      tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "no /proc/thread-self: " + e.getMessage();
    }
    try {
      Process p =
          new ProcessBuilder("chrt", "--fifo", "--pid", Integer.toString(priority), tid)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "chrt did not finish in 5 s";
      }
      if (p.exitValue() != 0) {
        return "chrt --fifo failed (" + p.exitValue() + "): " + out.strip();
      }
      return null;
    } catch (IOException e) {
      return "chrt is not available (util-linux): " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
