package io.lineinspect.app.loadgen;

import io.lineinspect.app.InspectionService;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.builtin.NoWorkBackend;
import io.lineinspect.sim.FramePool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * An open-loop load generator run ({@code inspect loadgen}): N simulated cameras on real TCP
 * connections send pre-rendered frames on a schedule (constant or Poisson arrivals) whether or not
 * verdicts come back, and latency counts from each frame's scheduled send time, so a slow service
 * cannot slow the generator down and hide its own latency (no coordinated omission). The service is
 * either already running ({@link LoadPlan#port()}) or started in this process.
 *
 * <p>In the same run it measures the model alone ({@link ModelBaselines}: the bare model at its
 * best batch size, and a naive one-frame-at-a-time baseline) and reports the service's efficiency:
 * the throughput it sustains with p99 within the line's budget, divided by the bare model's. One
 * step is a {@link LoadStep}, the search for the highest rate a {@link RateSearch}, the output a
 * {@link LoadReport}.
 *
 * <p>Runs on the caller's thread; the cameras own their sender and receiver threads.
 */
public final class Loadgen {
  private final LoadPlan plan;
  private final Path home;
  private final PrintStream out;

  /**
   * @param home the install directory (relative paths of the configuration resolve here)
   * @param out where the progress and the report go
   */
  public Loadgen(LoadPlan plan, Path home, PrintStream out) {
    this.plan = plan;
    this.home = home;
    this.out = out;
  }

  /** Runs the plan; 0, or 3 when a frame got no verdict, two, or one out of order. */
  public int run() throws Exception {
    Path file = plan.config();
    ServiceConfig cfg = config(file);
    List<FramePool> pools = render(cfg);
    LoadReport report = new LoadReport(plan, out);
    boolean noWork = "no-work".equals(plan.backend());
    double injectDelayMs = plan.injectDelayMs();
    double injectFrameCpuMs = plan.injectFrameCpuMs();
    boolean inject = injectDelayMs > 0 || injectFrameCpuMs > 0;
    InspectionService service = null;
    InferenceBackend modelBackend = null;
    try {
      String target;
      int targetPort;
      if (plan.port() == null) {
        UnaryOperator<InferenceBackend> base =
            noWork ? b -> new NoWorkBackend(b.maxBatch()) : UnaryOperator.identity();
        UnaryOperator<InferenceBackend> decorate =
            inject ? b -> new DelayedBackend(base.apply(b), injectDelayMs, injectFrameCpuMs) : base;
        service = new InspectionService(cfg, home, decorate);
        targetPort = service.start();
        target = "in-process service on 127.0.0.1:" + targetPort;
        modelBackend = service.servedBackend();
      } else {
        if (inject) {
          throw new IllegalArgumentException(
              "--inject-delay-ms / --inject-frame-cpu-ms need the in-process service");
        }
        targetPort = plan.port();
        target = "service at " + plan.host() + ":" + plan.port();
        if (plan.modelSeconds() > 0) {
          modelBackend = InspectionService.createBackend(cfg, home);
        }
      }
      ModelInfo model = modelBackend == null ? null : modelBackend.model();
      out.printf(
          Locale.ROOT,
          "loadgen: %s; %d camera(s), %s arrivals, %s %dx%d %s; model %s%s%n",
          target,
          plan.cameras(),
          plan.arrival().name().toLowerCase(Locale.ROOT),
          plan.rawFrames() ? "raw" : "parts",
          plan.size(),
          plan.size(),
          pools.get(0).format(),
          model == null ? "(not loaded here)" : model.id(),
          inject
              ? String.format(
                  Locale.ROOT,
                  "; INJECTED SLOWDOWN %.1f ms per batch, %.1f ms CPU per frame",
                  injectDelayMs,
                  injectFrameCpuMs)
              : "");
      report.setUp(file, cfg, model, pools.get(0).format());

      // The yardsticks first, while nothing else runs on the machine.
      ModelBaselines.Bare bare = null;
      ModelBaselines.Naive naive = null;
      if (plan.modelSeconds() > 0 && modelBackend != null) {
        ModelBaselines m = new ModelBaselines(modelBackend, pools.get(0));
        bare = m.bare(plan.modelSeconds() / 2, out);
        naive = m.naive(plan.modelSeconds() / 2);
        report.baselines(bare, naive);
      }
      if (plan.port() != null && modelBackend != null) {
        modelBackend.close();
        modelBackend = null;
      }

      if (plan.rateShare() != null && bare == null) {
        throw new IllegalArgumentException(
            "--rate-share needs the bare model measured (--model-seconds > 0, a model backend)");
      }
      Double shareRate = plan.rateShare() == null ? null : plan.rateShare() * bare.bestFps();
      LoadStep step = new LoadStep(plan, targetPort, pools, out);
      StepResult result;
      RateSearch.Search search = null;
      Double atBudget;
      if (plan.findMax()) {
        double first =
            shareRate != null
                ? shareRate
                : plan.rate() == null && bare != null ? 0.9 * bare.bestFps() : plan.rateOrDefault();
        search = new RateSearch(step, plan.steps(), out).run(first);
        result = search.result();
        atBudget = search.best() == null ? null : search.best().judgedFps;
      } else {
        result = step.run(shareRate != null ? shareRate : plan.rateOrDefault(), true);
        atBudget = result.withinBudget() ? result.judgedFps : null;
      }
      if (service != null) {
        report.service(service.pipeline().metrics().snapshot());
      }
      report.summary(result, search, atBudget, bare, naive);
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

  /** The configuration with the plan's backend, its camera port on loopback (ephemeral). */
  private ServiceConfig config(Path file) {
    ServiceConfig loaded = ConfigLoader.load(file);
    String backend = plan.backend();
    boolean noWork = "no-work".equals(backend);
    if (noWork && plan.port() != null) {
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
    return new ServiceConfig(
        loaded.line(),
        loaded.ingest().listeningOn("127.0.0.1", 0),
        loaded.pipeline(),
        loaded.inference());
  }

  /** Every camera's frames, rendered before the run; refused when they exceed the ingest limit. */
  private List<FramePool> render(ServiceConfig cfg) throws IOException {
    int size = plan.size();
    out.printf(
        Locale.ROOT,
        "rendering %d frame(s) per camera for %d camera(s) ...%n",
        plan.pool(),
        plan.cameras());
    List<FramePool> pools = new ArrayList<>();
    for (int c = 0; c < plan.cameras(); c++) {
      long s = plan.seed() + 1_000_003L * (c + 1);
      pools.add(
          plan.rawFrames()
              ? FramePool.rawMono8(size, size, s, plan.pool())
              : FramePool.parts(size, size, plan.format(), plan.defectRate(), s, plan.pool()));
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
    return pools;
  }
}
