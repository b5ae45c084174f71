package io.lineinspect.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.camera.sim.FramePool;
import io.lineinspect.camera.sim.SimStats;
import io.lineinspect.camera.sim.SimulatedCamera;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.inference.builtin.NoWorkBackend;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.pipeline.FrameEvent;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect loadgen}: an open-loop load generator. N simulated cameras on real TCP connections
 * send pre-rendered frames on a schedule (constant or Poisson arrivals) whether or not verdicts
 * come back, and latency counts from each frame's scheduled send time, so a slow service cannot
 * slow the generator down and hide its own latency (no coordinated omission). The service is either
 * already running ({@code --port}) or started in this process from {@code --config}.
 *
 * <p>In the same run it measures the model alone ({@link ModelBaselines}: the bare model at its
 * best batch size, and a naive one-frame-at-a-time baseline) and reports the service's efficiency:
 * the throughput it sustains with p99 within the line's budget, divided by the bare model's.
 *
 * <p>Runs on the command's thread; the cameras own their sender and receiver threads.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    description =
        "Open-loop load generator: cameras over TCP at a fixed or Poisson rate; latency"
            + " percentiles, verdicts by reason, bare-model and naive baselines, efficiency.")
final class LoadgenCommand implements Callable<Integer> {

  /** What the cameras send. */
  enum Frames {
    parts,
    raw
  }

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Host of a running service (with --port; default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      description = "Port of a running service; without it a service is started in this process.")
  Integer port;

  @Option(
      names = "--config",
      description =
          "Line configuration: of the in-process service, and the model measured for the baselines"
              + " (default: configs/demo-line.yaml of the install).")
  Path config;

  @Option(
      names = "--backend",
      description =
          "Override inference.backend of the configuration: djl, builtin, or no-work (a test"
              + " backend that scores every frame 0 without looking at it: measures transport and"
              + " pipeline alone; in-process service only).")
  String backend;

  @Option(
      names = "--cameras",
      defaultValue = "4",
      description = "Camera connections (default ${DEFAULT-VALUE}).")
  int cameras;

  @Option(
      names = "--rate",
      description =
          "Total frames per second over all cameras (default 200); with --find-max the first step"
              + " (default: 0.9 x the bare model's frames/s).")
  Double rateOption;

  private double rate;

  @Option(
      names = "--arrival",
      defaultValue = "constant",
      description = "constant or poisson (bursty, same mean rate; default ${DEFAULT-VALUE}).")
  String arrival;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "Measured seconds (default ${DEFAULT-VALUE}; per step with --find-max).")
  double seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "2",
      description = "Seconds sent before measuring, not counted (default ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--frames",
      defaultValue = "parts",
      description =
          "parts (rendered parts with ground truth) or raw (random MONO8 pixels; default"
              + " ${DEFAULT-VALUE}).")
  Frames frames;

  @Option(
      names = "--size",
      defaultValue = "256",
      description = "Frame side in pixels (default ${DEFAULT-VALUE}).")
  int size;

  @Option(
      names = "--format",
      defaultValue = "MONO8",
      description = "Pixel format of rendered parts (default ${DEFAULT-VALUE}).")
  PixelFormat format;

  @Option(
      names = "--pool",
      defaultValue = "256",
      description = "Frames pre-rendered per camera before the run (default ${DEFAULT-VALUE}).")
  int pool;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.3",
      description = "Share of defective rendered parts (default ${DEFAULT-VALUE}).")
  double defectRate;

  @Option(
      names = "--seed",
      defaultValue = "20261128",
      description = "Seed of frames and arrivals (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--find-max",
      description =
          "Step the rate (grow, then bisect) to the highest rate with p99 within the budget and at"
              + " most 1%% fail-safe verdicts.")
  boolean findMax;

  @Option(
      names = "--steps",
      defaultValue = "7",
      description = "Rate steps with --find-max (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--model-seconds",
      defaultValue = "6",
      description =
          "Seconds for the bare-model and naive baselines together, 0 to skip (default"
              + " ${DEFAULT-VALUE}).")
  double modelSeconds;

  @Option(
      names = "--inject-delay-ms",
      defaultValue = "0",
      description =
          "In-process service only: sleep this long in every inference batch (a deliberate"
              + " slowdown, to show that the latency gate fails; default ${DEFAULT-VALUE}).")
  double injectDelayMs;

  @Option(names = "--json", description = "Print the report as one JSON object on the last line.")
  boolean json;

  private final PrintStream out;

  LoadgenCommand() {
    this(System.out);
  }

  /** With the report going to {@code out} (tests). */
  LoadgenCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    rate = rateOption != null ? rateOption : 200;
    check();
    Path file = config != null ? config : InspectCommand.home().resolve("configs/demo-line.yaml");
    ServiceConfig loaded = ConfigLoader.load(file);
    boolean noWork = "no-work".equals(backend);
    if (noWork && port != null) {
      throw new IllegalArgumentException("--backend no-work needs the in-process service");
    }
    if (backend != null) {
      InferenceConfig i = loaded.inference();
      loaded =
          new ServiceConfig(
              loaded.line(),
              loaded.ingest(),
              loaded.pipeline(),
              new InferenceConfig(noWork ? "builtin" : backend, i.builtin(), i.djl()));
    }
    ServiceConfig cfg =
        new ServiceConfig(
            loaded.line(),
            loaded.ingest().listeningOn("127.0.0.1", 0),
            loaded.pipeline(),
            loaded.inference());
    SimulatedCamera.Arrival arrivalKind =
        SimulatedCamera.Arrival.valueOf(arrival.toUpperCase(Locale.ROOT));

    out.printf(
        Locale.ROOT, "rendering %d frame(s) per camera for %d camera(s) ...%n", pool, cameras);
    List<FramePool> pools = new ArrayList<>();
    for (int c = 0; c < cameras; c++) {
      long s = seed + 1_000_003L * (c + 1);
      pools.add(
          frames == Frames.raw
              ? FramePool.rawMono8(size, size, s, pool)
              : FramePool.parts(size, size, format, defectRate, s, pool));
    }
    long frameBytes = pools.get(0).maxPayloadBytes() + 36L;
    if (frameBytes > cfg.ingest().maxMessageBytes()) {
      throw new IllegalArgumentException(
          "frames of "
              + frameBytes
              + " bytes exceed ingest.maxMessageBytes ("
              + cfg.ingest().maxMessageBytes()
              + ")");
    }

    Map<String, Object> report = new LinkedHashMap<>();
    InspectionService service = null;
    InferenceBackend modelBackend = null;
    try {
      String target;
      int targetPort;
      if (port == null) {
        UnaryOperator<InferenceBackend> base =
            noWork ? b -> new NoWorkBackend(b.maxBatch()) : UnaryOperator.identity();
        UnaryOperator<InferenceBackend> decorate =
            injectDelayMs > 0 ? b -> new DelayedBackend(base.apply(b), injectDelayMs) : base;
        service = new InspectionService(cfg, InspectCommand.home(), decorate);
        targetPort = service.start();
        target = "in-process service on 127.0.0.1:" + targetPort;
        modelBackend = service.servedBackend();
      } else {
        if (injectDelayMs > 0) {
          throw new IllegalArgumentException("--inject-delay-ms needs the in-process service");
        }
        targetPort = port;
        target = "service at " + host + ":" + port;
        if (modelSeconds > 0) {
          modelBackend = InspectionService.createBackend(cfg, InspectCommand.home());
        }
      }
      ModelInfo model = modelBackend == null ? null : modelBackend.model();
      out.printf(
          Locale.ROOT,
          "loadgen: %s; %d camera(s), %s arrivals, %s %dx%d %s; model %s%s%n",
          target,
          cameras,
          arrivalKind.name().toLowerCase(Locale.ROOT),
          frames,
          size,
          size,
          pools.get(0).format(),
          model == null ? "(not loaded here)" : model.id(),
          injectDelayMs > 0
              ? String.format(Locale.ROOT, "; INJECTED SLOWDOWN %.1f ms per batch", injectDelayMs)
              : "");
      report.put("target", port == null ? "in-process" : host + ":" + port);
      report.put("config", file.toString());
      report.put("backend", cfg.inference().backend());
      report.put("model", model == null ? null : model.id());
      report.put("cameras", cameras);
      report.put("arrival", arrivalKind.name());
      report.put("frames", frames.name());
      report.put("width", size);
      report.put("height", size);
      report.put("pixelFormat", pools.get(0).format().name());
      report.put("warmupSeconds", warmupSeconds);
      report.put("seconds", seconds);
      report.put("injectDelayMs", injectDelayMs);

      // The yardsticks first, while nothing else runs on the machine.
      ModelBaselines.Bare bare = null;
      ModelBaselines.Naive naive = null;
      if (modelSeconds > 0 && modelBackend != null) {
        ModelBaselines m = new ModelBaselines(modelBackend, pools.get(0));
        bare = m.bare(modelSeconds / 2, out);
        naive = m.naive(modelSeconds / 2);
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
      if (port != null && modelBackend != null) {
        modelBackend.close();
        modelBackend = null;
      }

      Step result;
      List<Step> stepList = new ArrayList<>();
      Double atBudget = null;
      if (findMax) {
        if (rateOption == null && bare != null) {
          rate = 0.9 * bare.bestFps();
        }
        double lo = 0;
        Double hi = null;
        Step bestStep = null;
        for (int k = 1; k <= steps; k++) {
          double r = hi == null ? (lo == 0 ? rate : lo * 1.5) : (lo == 0 ? hi / 2 : (lo + hi) / 2);
          Step st = runStep(r, targetPort, arrivalKind, pools, false);
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
            st = runStep(r, targetPort, arrivalKind, pools, false);
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
        result = bestStep != null ? bestStep : stepList.get(stepList.size() - 1);
        atBudget = bestStep == null ? null : bestStep.judgedFps;
      } else {
        result = runStep(rate, targetPort, arrivalKind, pools, true);
        atBudget = result.withinBudget() ? result.judgedFps : null;
      }

      if (service != null) {
        PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
        out.printf(
            Locale.ROOT,
            "service (whole run incl. warm-up): mean batch %.1f, watchdog verdicts %d, late results"
                + " %d; %s%n",
            m.meanBatchSize(),
            m.watchdogVerdicts(),
            m.lateResults(),
            InspectCommand.stages(m));
      }

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

      report.put("service", result.toMap());
      if (findMax) {
        List<Map<String, Object>> stepMaps = new ArrayList<>();
        stepList.forEach(s -> stepMaps.add(s.toMap()));
        report.put("findMaxSteps", stepMaps);
      }
      report.put("serviceFpsAtBudget", atBudget == null ? null : round(atBudget));
      if (bare != null) {
        Map<String, Object> b = new LinkedHashMap<>();
        Map<String, Object> byBatch = new LinkedHashMap<>();
        bare.fpsByBatch().forEach((k, v) -> byBatch.put(String.valueOf(k), round(v)));
        b.put("fpsByBatch", byBatch);
        b.put("bestBatch", bare.bestBatch());
        b.put("fps", round(bare.bestFps()));
        report.put("bareModel", b);
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("frames", naive.frames());
        n.put("fps", round(naive.fps()));
        n.put("latencyP50Ms", naive.p50Ms());
        n.put("latencyP99Ms", naive.p99Ms());
        n.put("latencyMaxMs", naive.maxMs());
        report.put("naiveBaseline", n);
      }
      report.put("efficiency", efficiency == null ? null : round(efficiency));
      if (json) {
        out.println(new ObjectMapper().writeValueAsString(report));
      }
      return result.promisesKept() ? 0 : 3;
    } finally {
      if (modelBackend != null && service == null) {
        modelBackend.close();
      }
      if (service != null) {
        service.close();
      }
    }
  }

  private void check() {
    if (cameras < 1 || cameras > 256) {
      throw new IllegalArgumentException("--cameras must be 1..256, got " + cameras);
    }
    if (!(rate > 0) || rate / cameras > 100_000) {
      throw new IllegalArgumentException(
          "--rate must be > 0 and at most 100000 per camera, got " + rate);
    }
    if (!(seconds > 0) || !(warmupSeconds >= 0)) {
      throw new IllegalArgumentException("--seconds must be > 0 and --warmup-seconds >= 0");
    }
    if (size < 32 || size > 4096) {
      throw new IllegalArgumentException("--size must be 32..4096, got " + size);
    }
    if (frames == Frames.raw && format != PixelFormat.MONO8) {
      throw new IllegalArgumentException("--frames raw sends MONO8 only");
    }
    if (steps < 1 || steps > 50) {
      throw new IllegalArgumentException("--steps must be 1..50, got " + steps);
    }
    if (!(injectDelayMs >= 0)) {
      throw new IllegalArgumentException("--inject-delay-ms must be >= 0");
    }
  }

  /** One constant-or-Poisson run of the cameras at {@code totalFps}. */
  private Step runStep(
      double totalFps,
      int targetPort,
      SimulatedCamera.Arrival kind,
      List<FramePool> pools,
      boolean progress)
      throws Exception {
    SimStats stats = new SimStats();
    SimStats warm = new SimStats();
    List<SimulatedCamera> cams = new ArrayList<>();
    long warmNs = (long) (warmupSeconds * 1e9);
    long runNs = (long) (seconds * 1e9);
    int budgetMs;
    long cpuStartNs = processCpuNs();
    long wallStartNs = System.nanoTime();
    try {
      // Connect every camera first; the schedule starts shortly after, the same for all.
      long startNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200L + 20L * cameras);
      for (int c = 0; c < cameras; c++) {
        SimulatedCamera.Settings s =
            new SimulatedCamera.Settings(
                size, size, pools.get(c).format(), totalFps / cameras, defectRate, seed + c);
        SimulatedCamera.Traffic t =
            new SimulatedCamera.Traffic(
                pools.get(c), kind, startNs, startNs + warmNs, startNs + warmNs + runNs, warm);
        cams.add(new SimulatedCamera(host, targetPort, "load-" + (c + 1), s, stats, t));
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
    return new Step(totalFps, budgetMs, seconds, stats.snapshot(), cpuCores);
  }

  /** CPU time of this whole process (cameras and, in-process, the service), or -1. */
  private static long processCpuNs() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static Object round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 1000) / 1000.0;
  }

  /** The figures of one measured run (warm-up excluded). */
  static final class Step {
    final double offeredFps;
    final int budgetMs;
    final double seconds;
    final SimStats.Snapshot stats;
    final double throughputFps;
    final double judgedFps;
    final double cpuCores;

    Step(
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
  }

  /**
   * A backend whose sessions sleep {@code delayMs} in every batch before the real inference: the
   * deliberate slowdown that demonstrates the latency gate failing. Never used unless asked for.
   */
  static final class DelayedBackend implements InferenceBackend {
    private final InferenceBackend delegate;
    private final long delayNs;

    DelayedBackend(InferenceBackend delegate, double delayMs) {
      this.delegate = delegate;
      this.delayNs = (long) (delayMs * 1e6);
    }

    @Override
    public ModelInfo model() {
      return delegate.model();
    }

    @Override
    public int maxBatch() {
      return delegate.maxBatch();
    }

    @Override
    public int inputFloats() {
      return delegate.inputFloats();
    }

    @Override
    public io.lineinspect.core.inference.InputLayout inputLayout() {
      return delegate.inputLayout(); // the fitness check must stay on behind the slowdown
    }

    @Override
    public io.lineinspect.core.quality.QualityLimits qualityLimits() {
      return delegate.qualityLimits();
    }

    @Override
    public void limitCallingThread(int threads) {
      delegate.limitCallingThread(threads);
    }

    @Override
    public Preprocessor newPreprocessor() {
      return delegate.newPreprocessor();
    }

    @Override
    public InferenceSession newSession() {
      InferenceSession s = delegate.newSession();
      return new InferenceSession() {
        @Override
        public void infer(FrameEvent[] batch, int count) throws Exception {
          TimeUnit.NANOSECONDS.sleep(delayNs);
          s.infer(batch, count);
        }

        @Override
        public void close() {
          s.close();
        }
      };
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
