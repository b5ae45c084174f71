package io.lineinspect.app.loadgen;

import io.lineinspect.sim.FramePool;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One step of the load generator: the plan's cameras on their own TCP connections, sending their
 * pre-rendered frames open loop at one total rate for the warm-up and the measured seconds, then
 * waiting for the last verdicts. Runs on the caller's thread; the cameras own their sender and
 * receiver threads.
 */
final class LoadStep {
  private final LoadPlan plan;
  private final int port;
  private final List<FramePool> pools;
  private final PrintStream out;

  /**
   * @param port the service's camera port
   */
  LoadStep(LoadPlan plan, int port, List<FramePool> pools, PrintStream out) {
    this.plan = plan;
    this.port = port;
    this.pools = pools;
    this.out = out;
  }

  /**
   * One run of the cameras at {@code totalFps}, warm-up first.
   *
   * @param progress print a line every second
   */
  StepResult run(double totalFps, boolean progress) throws Exception {
    SimStats stats = new SimStats();
    SimStats warm = new SimStats();
    List<SimulatedCamera> cams = new ArrayList<>();
    long warmNs = (long) (plan.warmupSeconds() * 1e9);
    long runNs = (long) (plan.seconds() * 1e9);
    int budgetMs;
    long cpuStartNs = processCpuNs();
    long wallStartNs = System.nanoTime();
    try {
      // Connect every camera first; the schedule starts shortly after, the same for all.
      long startNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200L + 20L * plan.cameras());
      for (int c = 0; c < plan.cameras(); c++) {
        SimulatedCamera.Settings s =
            new SimulatedCamera.Settings(
                plan.size(),
                plan.size(),
                pools.get(c).format(),
                totalFps / plan.cameras(),
                plan.defectRate(),
                plan.seed() + c);
        SimulatedCamera.Traffic t =
            new SimulatedCamera.Traffic(
                pools.get(c),
                plan.arrival(),
                startNs,
                startNs + warmNs,
                startNs + warmNs + runNs,
                warm);
        String id = "load-" + (c + 1);
        cams.add(
            new SimulatedCamera(
                plan.host(),
                port,
                id,
                s,
                stats,
                t,
                plan.secrets().tokenFor(id),
                plan.secrets().tls()));
      }
      budgetMs = cams.get(0).budgetMs();
      long endNs = startNs + warmNs + runNs;
      int tick = 0;
      while (true) {
        long next = startNs + (++tick) * 1_000_000_000L;
        long wait = Math.min(next, endNs) - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        for (SimulatedCamera c : cams) {
          if (c.fatalError() != null) {
            throw new IllegalStateException(
                "camera " + c.cameraId() + " failed: " + c.fatalError());
          }
        }
        if (progress && next - endNs < 0) {
          boolean warming = next - (startNs + warmNs) <= 0;
          SimStats.Snapshot s = (warming ? warm : stats).snapshot();
          out.printf(
              Locale.ROOT,
              "[%3ds]%s sent %8d  verdicts %8d  fail-safe %6d  p99 %7.2f ms%n",
              tick,
              warming ? " warm-up" : "",
              s.sent(),
              s.verdicts(),
              s.failSafe(),
              s.roundTripP99Us() / 1000.0);
        }
        if (next - endNs >= 0) {
          break;
        }
      }
      for (SimulatedCamera c : cams) {
        while (!c.doneSending() && c.fatalError() == null) {
          Thread.sleep(1);
        }
      }
      for (SimulatedCamera c : cams) {
        c.awaitLastVerdict(budgetMs + 2_000L);
      }
      Thread.sleep(50);
    } finally {
      cams.forEach(SimulatedCamera::close);
    }
    double cpuCores =
        (processCpuNs() - cpuStartNs) / (double) Math.max(1, System.nanoTime() - wallStartNs);
    return new StepResult(totalFps, budgetMs, plan.seconds(), stats.snapshot(), cpuCores);
  }

  /** CPU time of this whole process (cameras and, in-process, the service), or -1. */
  private static long processCpuNs() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }
}
