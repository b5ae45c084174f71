package io.lineinspect.app.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.StatusLine;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.metrics.PipelineMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator's report: the text lines as the run goes (baselines, the service's own
 * figures), the summary, the efficiency (service frames/s at budget over the bare model's), and the
 * same as one JSON object on the last line with {@code --json}. Used by the run's thread only.
 */
final class LoadReport {
  private final LoadPlan plan;
  private final PrintStream out;
  private final Map<String, Object> json = new LinkedHashMap<>();

  LoadReport(LoadPlan plan, PrintStream out) {
    this.plan = plan;
    this.out = out;
  }

  /** What runs against what: the first fields of the JSON report. */
  void setUp(Path file, ServiceConfig cfg, ModelInfo model, PixelFormat format) {
    json.put("target", plan.port() == null ? "in-process" : plan.host() + ":" + plan.port());
    json.put("config", file.toString());
    json.put("backend", cfg.inference().backend());
    json.put("model", model == null ? null : model.id());
    json.put("cameras", plan.cameras());
    json.put("arrival", plan.arrival().name());
    json.put("frames", plan.rawFrames() ? "raw" : "parts");
    json.put("width", plan.size());
    json.put("height", plan.size());
    json.put("pixelFormat", format.name());
    json.put("warmupSeconds", plan.warmupSeconds());
    json.put("seconds", plan.seconds());
    json.put("injectDelayMs", plan.injectDelayMs());
    json.put("injectFrameCpuMs", plan.injectFrameCpuMs());
    json.put("rateShare", plan.rateShare());
  }

  void baselines(ModelBaselines.Bare bare, ModelBaselines.Naive naive) {
    out.printf(
        Locale.ROOT,
        "bare model: best %.1f frames/s at batch %d%n"
            + "naive baseline (preprocess + batch-1 predict per frame, no pipeline): %.1f"
            + " frames/s, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        bare.bestFps(),
        bare.bestBatch(),
        naive.fps(),
        naive.p50Ms(),
        naive.p99Ms(),
        naive.maxMs());
  }

  /** The in-process service's own figures over the whole run. */
  void service(PipelineMetrics.Snapshot m) {
    out.printf(
        Locale.ROOT,
        "service (whole run incl. warm-up): mean batch %.1f, watchdog verdicts %d, late results"
            + " %d; %s%n",
        m.meanBatchSize(),
        m.watchdogVerdicts(),
        m.lateResults(),
        StatusLine.stages(m));
  }

  /**
   * The summary and, with {@code --json}, the JSON line.
   *
   * @param search the rate search, or null for a run at one rate
   * @param atBudget the service's judged frames/s within the budget, or null when it was not
   * @param bare the bare model's figures, or null when not measured (then {@code naive} is too)
   */
  void summary(
      StepResult result,
      RateSearch.Search search,
      Double atBudget,
      ModelBaselines.Bare bare,
      ModelBaselines.Naive naive)
      throws IOException {
    boolean findMax = search != null;
    out.println("---- loadgen summary ----");
    result.print(out, findMax ? "highest rate within budget" : "run");
    if (bare != null) {
      out.printf(
          Locale.ROOT,
          "bare model %.1f frames/s (batch %d); naive baseline %.1f frames/s (p50 %.2f ms, p99"
              + " %.2f ms)%n",
          bare.bestFps(),
          bare.bestBatch(),
          naive.fps(),
          naive.p50Ms(),
          naive.p99Ms());
    }
    Double efficiency = null;
    if (bare != null && atBudget != null) {
      efficiency = atBudget / bare.bestFps();
      out.printf(
          Locale.ROOT,
          "efficiency = service %.1f frames/s at budget / bare model %.1f frames/s = %.3f%s%n",
          atBudget,
          bare.bestFps(),
          efficiency,
          findMax ? "" : " (at the offered rate: a lower bound; --find-max for the maximum)");
    } else if (bare != null) {
      out.println("efficiency: n/a (the service did not keep p99 within budget at this rate)");
    }

    json.put("service", result.toMap());
    if (findMax) {
      List<Map<String, Object>> stepMaps = new ArrayList<>();
      search.steps().forEach(s -> stepMaps.add(s.toMap()));
      json.put("findMaxSteps", stepMaps);
    }
    json.put("serviceFpsAtBudget", atBudget == null ? null : StepResult.round(atBudget));
    if (bare != null) {
      Map<String, Object> b = new LinkedHashMap<>();
      Map<String, Object> byBatch = new LinkedHashMap<>();
      bare.fpsByBatch().forEach((k, v) -> byBatch.put(String.valueOf(k), StepResult.round(v)));
      b.put("fpsByBatch", byBatch);
      b.put("bestBatch", bare.bestBatch());
      b.put("fps", StepResult.round(bare.bestFps()));
      json.put("bareModel", b);
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("frames", naive.frames());
      n.put("fps", StepResult.round(naive.fps()));
      n.put("latencyP50Ms", naive.p50Ms());
      n.put("latencyP99Ms", naive.p99Ms());
      n.put("latencyMaxMs", naive.maxMs());
      json.put("naiveBaseline", n);
    }
    json.put("efficiency", efficiency == null ? null : StepResult.round(efficiency));
    if (plan.json()) {
      out.println(new ObjectMapper().writeValueAsString(json));
    }
  }
}
