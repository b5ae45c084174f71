package io.lineinspect.app.loadgen;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.sim.SimStats;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The figures of one measured run (warm-up excluded). */
final class StepResult {
  final double offeredFps;
  final int budgetMs;
  final double seconds;
  final SimStats.Snapshot stats;
  final double throughputFps;
  final double judgedFps;
  final double cpuCores;

  StepResult(
      double offeredFps, int budgetMs, double seconds, SimStats.Snapshot stats, double cpuCores) {
    this.cpuCores = cpuCores;
    this.offeredFps = offeredFps;
    this.budgetMs = budgetMs;
    this.seconds = seconds;
    this.stats = stats;
    this.throughputFps = stats.verdicts() / seconds;
    this.judgedFps = (stats.verdicts() - stats.failSafe()) / seconds;
  }

  double failSafeShare() {
    return stats.verdicts() == 0 ? 1.0 : (double) stats.failSafe() / stats.verdicts();
  }

  /** p99 within the budget, at most 1% fail-safe, every frame answered exactly once. */
  boolean withinBudget() {
    return stats.roundTripP99Us() <= budgetMs * 1000L
        && failSafeShare() <= 0.01
        && promisesKept()
        && stats.verdicts() > 0;
  }

  boolean promisesKept() {
    return stats.withoutVerdict() == 0
        && stats.duplicateVerdicts() == 0
        && stats.unknownVerdicts() == 0
        && stats.outOfOrderVerdicts() == 0;
  }

  void print(PrintStream out, String what) {
    SimStats.Snapshot s = stats;
    out.printf(
        Locale.ROOT,
        "%s: offered %.1f frames/s for %.1f s; sent %d, verdicts %d (%.1f/s), judged %.1f/s,"
            + " without verdict %d, duplicate %d, out of order %d%n",
        what,
        offeredFps,
        seconds,
        s.sent(),
        s.verdicts(),
        throughputFps,
        judgedFps,
        s.withoutVerdict(),
        s.duplicateVerdicts(),
        s.outOfOrderVerdicts());
    StringBuilder reasons = new StringBuilder();
    s.byReason()
        .forEach(
            (r, n) -> {
              if (n > 0) {
                reasons.append(reasons.length() == 0 ? "" : ", ").append(r).append(' ').append(n);
              }
            });
    out.printf(
        Locale.ROOT,
        "verdicts: PASS %d, FAIL %d; by reason: %s%n",
        s.pass(),
        s.fail(),
        reasons.length() == 0 ? "none" : reasons);
    out.printf(
        Locale.ROOT,
        "latency from scheduled send (open loop): p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max"
            + " %.3f ms (budget %d ms: %s); this process used %.2f CPU cores%n",
        s.roundTripP50Us() / 1000.0,
        s.roundTripP99Us() / 1000.0,
        s.roundTripP999Us() / 1000.0,
        s.roundTripMaxUs() / 1000.0,
        budgetMs,
        withinBudget() ? "p99 within, fail-safe <= 1%" : "NOT within",
        cpuCores);
  }

  Map<String, Object> toMap() {
    SimStats.Snapshot s = stats;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("offeredFps", round(offeredFps));
    m.put("framesSent", s.sent());
    m.put("verdictsReceived", s.verdicts());
    m.put("throughputFps", round(throughputFps));
    m.put("judgedFps", round(judgedFps));
    m.put("framesWithoutVerdict", s.withoutVerdict());
    m.put("duplicateVerdicts", s.duplicateVerdicts());
    m.put("outOfOrderVerdicts", s.outOfOrderVerdicts());
    m.put("pass", s.pass());
    m.put("fail", s.fail());
    m.put("failSafe", s.failSafe());
    m.put("failSafeShare", round(failSafeShare()));
    Map<String, Long> reasons = new LinkedHashMap<>();
    for (ReasonCode r : ReasonCode.all()) {
      reasons.put(r.name(), s.byReason().getOrDefault(r, 0L));
    }
    m.put("byReason", reasons);
    m.put("latencyP50Ms", s.roundTripP50Us() / 1000.0);
    m.put("latencyP99Ms", s.roundTripP99Us() / 1000.0);
    m.put("latencyP999Ms", s.roundTripP999Us() / 1000.0);
    m.put("latencyMaxMs", s.roundTripMaxUs() / 1000.0);
    m.put("serviceLatencyP99Ms", s.serviceP99Us() / 1000.0);
    m.put("budgetMs", budgetMs);
    m.put("withinBudget", withinBudget());
    m.put("processCpuCores", round(cpuCores));
    return m;
  }

  static Object round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 1000) / 1000.0;
  }
}
