package io.lineinspect.core.health;

import io.lineinspect.core.actuate.RejectScheduler;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes the service's health known to the line, not only to a dashboard: thread {@code
 * health-monitor} reads {@link StageHealth} every {@value #TICK_MS} ms; when the service turns
 * unhealthy it logs every problem (and again when it recovers), and while it stays unhealthy it
 * raises the PLC's alarm coil about once a second ({@link RejectScheduler#healthAlarm}), so an
 * alarm acknowledged at the PLC comes back until the fault is gone.
 *
 * <p>{@code /health} does not wait for this thread: it reads {@link StageHealth} itself.
 */
public final class HealthMonitor implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HealthMonitor.class.getName());
  public static final long TICK_MS = 100;
  private static final long ALARM_EVERY_NS = TimeUnit.SECONDS.toNanos(1);

  private final StageHealth health;
  private final RejectScheduler rejects;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile List<String> last = List.of();

  public HealthMonitor(StageHealth health, RejectScheduler rejects) {
    this.health = health;
    this.rejects = rejects;
    this.thread = new Thread(this::run, "health-monitor");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    long lastAlarmNs = 0;
    while (running) {
      try {
        List<String> problems = health.problems();
        if (!problems.equals(last)) {
          if (problems.isEmpty()) {
            LOG.log(Level.WARNING, "service HEALTHY again (was: " + String.join("; ", last) + ")");
          } else {
            LOG.log(Level.ERROR, "service UNHEALTHY: " + String.join("; ", problems));
          }
          last = problems;
        }
        long now = System.nanoTime();
        if (!problems.isEmpty() && rejects != null && now - lastAlarmNs - ALARM_EVERY_NS >= 0) {
          lastAlarmNs = now;
          rejects.healthAlarm(problems.get(0));
        }
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "health monitor: " + e, e);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MS));
    }
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
