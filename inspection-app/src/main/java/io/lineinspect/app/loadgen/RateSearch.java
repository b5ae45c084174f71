package io.lineinspect.app.loadgen;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code --find-max}: steps the offered rate to the highest one the service judges with p99 within
 * the budget and at most 1 % fail-safe verdicts. Grows by 1.5x from the first rate until a step is
 * over, then bisects between the best rate within and the lowest over. Runs on the caller's thread.
 */
final class RateSearch {

  /**
   * @param steps every step run, in order (a retried step once, with its retry's figures)
   * @param best the step within the budget that judged the most frames per second, or null
   */
  record Search(List<StepResult> steps, StepResult best) {
    /** The best step, or the last one when none was within the budget. */
    StepResult result() {
      return best != null ? best : steps.get(steps.size() - 1);
    }
  }

  private final LoadStep step;
  private final int steps;
  private final PrintStream out;

  RateSearch(LoadStep step, int steps, PrintStream out) {
    this.step = step;
    this.steps = steps;
    this.out = out;
  }

  Search run(double firstRate) throws Exception {
    List<StepResult> stepList = new ArrayList<>();
    double lo = 0;
    Double hi = null;
    StepResult bestStep = null;
    for (int k = 1; k <= steps; k++) {
      double r = hi == null ? (lo == 0 ? firstRate : lo * 1.5) : (lo == 0 ? hi / 2 : (lo + hi) / 2);
      StepResult st = step.run(r, false);
      if (!st.withinBudget() && st.promisesKept()) {
        // One retry before a step counts as over: on a shared machine a single stalled
        // second fails a short step, and bisection would then descend for good.
        out.printf(
            Locale.ROOT,
            "step %d/%d: offered %8.1f fps: p99 %.2f ms, fail-safe %.2f%%: over, retrying once%n",
            k,
            steps,
            r,
            st.stats.roundTripP99Us() / 1000.0,
            100 * st.failSafeShare());
        st = step.run(r, false);
      }
      stepList.add(st);
      out.printf(
          Locale.ROOT,
          "step %d/%d: offered %8.1f fps -> judged %8.1f fps, p99 %7.2f ms (budget %d),"
              + " fail-safe %.2f%%, without verdict %d: %s%n",
          k,
          steps,
          r,
          st.judgedFps,
          st.stats.roundTripP99Us() / 1000.0,
          st.budgetMs,
          100 * st.failSafeShare(),
          st.stats.withoutVerdict(),
          st.withinBudget() ? "OK" : "over");
      if (st.withinBudget()) {
        lo = r;
        if (bestStep == null || st.judgedFps > bestStep.judgedFps) {
          bestStep = st;
        }
      } else {
        hi = r;
      }
    }
    return new Search(stepList, bestStep);
  }
}
