package io.lineinspect.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.sim.CameraSecrets;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs N simulated cameras against a service for a fixed time, printing a progress line every
 * second and a summary at the end (optionally one JSON object as the last line). Shared by {@code
 * inspect demo} and {@code inspect camera-sim}.
 */
public final class SimRun {
  private final String host;
  private final int port;
  private final int cameras;
  private final SimulatedCamera.Settings settings;
  private final int seconds;
  private final PrintStream out;
  private CameraSecrets secrets = CameraSecrets.none();

  public SimRun(
      String host,
      int port,
      int cameras,
      SimulatedCamera.Settings settings,
      int seconds,
      PrintStream out) {
    this.host = host;
    this.port = port;
    this.cameras = cameras;
    this.settings = settings;
    this.seconds = seconds;
    this.out = out;
  }

  /** The HELLO tokens of the cameras {@code cam-1 … cam-N} (default none: an open port). */
  public SimRun withSecrets(CameraSecrets secrets) {
    this.secrets = secrets;
    return this;
  }

  /**
   * Runs the cameras; {@code extraProgress} adds service-side figures to each progress line (or
   * returns "").
   */
  public Result run(Supplier<String> extraProgress) throws IOException, InterruptedException {
    return run(extraProgress, new SimStats());
  }

  /** Runs the cameras, counting into {@code stats} (which may log parts). */
  public Result run(Supplier<String> extraProgress, SimStats stats)
      throws IOException, InterruptedException {
    List<SimulatedCamera> cams = new ArrayList<>();
    try {
      for (int i = 1; i <= cameras; i++) {
        SimulatedCamera.Settings s =
            new SimulatedCamera.Settings(
                settings.width(),
                settings.height(),
                settings.format(),
                settings.fps(),
                settings.defectRate(),
                settings.seed() + i * 1_000_003L);
        String id = "cam-" + i;
        cams.add(
            new SimulatedCamera(
                host, port, id, s, stats, null, secrets.tokenFor(id), secrets.tls()));
      }
      long start = System.nanoTime();
      for (int t = 1; t <= seconds; t++) {
        long due = start + t * 1_000_000_000L;
        long now;
        while ((now = System.nanoTime()) - due < 0) {
          Thread.sleep(Math.max(1, (due - now) / 1_000_000));
        }
        SimStats.Snapshot s = stats.snapshot();
        out.printf(
            Locale.ROOT,
            "[%3ds] sent %7d  verdicts %7d  pass %6d  fail %6d  fail-safe %5d  camera p99 %7.2f ms%s%n",
            t,
            s.sent(),
            s.verdicts(),
            s.pass(),
            s.fail(),
            s.failSafe(),
            s.roundTripP99Us() / 1000.0,
            extraProgress.get());
        for (SimulatedCamera c : cams) {
          if (c.fatalError() != null) {
            out.println("camera " + c.cameraId() + " failed: " + c.fatalError());
          }
        }
      }
      int budgetMs = cams.isEmpty() ? 1000 : cams.get(0).budgetMs();
      cams.forEach(SimulatedCamera::stopSending);
      for (SimulatedCamera c : cams) {
        c.awaitLastVerdict(budgetMs + 2_000L);
      }
      // Let any straggling verdict (e.g. a late duplicate) arrive before the books close.
      Thread.sleep(100);
    } finally {
      cams.forEach(SimulatedCamera::close);
    }
    return new Result(stats.snapshot(), cameras, seconds, settings);
  }

  /** The figures of one run. */
  public record Result(
      SimStats.Snapshot stats, int cameras, int seconds, SimulatedCamera.Settings settings) {

    /** True when every frame got exactly one verdict, in order. */
    public boolean promisesKept() {
      return stats.withoutVerdict() == 0
          && stats.duplicateVerdicts() == 0
          && stats.unknownVerdicts() == 0
          && stats.outOfOrderVerdicts() == 0;
    }

    public void printText(PrintStream out) {
      SimStats.Snapshot s = stats;
      out.println("---- summary ----");
      out.printf(
          Locale.ROOT,
          "cameras %d x %.1f fps for %d s, %dx%d %s, defect rate %.2f%n",
          cameras,
          settings.fps(),
          seconds,
          settings.width(),
          settings.height(),
          settings.format(),
          settings.defectRate());
      out.printf(
          Locale.ROOT,
          "frames sent %d (defective %d), verdicts received %d, frames with no verdict %d%n",
          s.sent(),
          s.defectiveSent(),
          s.verdicts(),
          s.withoutVerdict());
      out.printf(
          Locale.ROOT,
          "duplicate verdicts %d, unknown verdicts %d, out-of-order verdicts %d%n",
          s.duplicateVerdicts(),
          s.unknownVerdicts(),
          s.outOfOrderVerdicts());
      out.printf(
          Locale.ROOT,
          "PASS %d, FAIL %d, fail-safe %d %s%n",
          s.pass(),
          s.fail(),
          s.failSafe(),
          failSafeBreakdown(s));
      out.printf(
          Locale.ROOT,
          "accuracy vs ground truth %.2f%% (model-judged only: %.2f%%); defects caught %d, escaped %d, good parts rejected %d%n",
          100 * s.accuracy(),
          100 * s.modelAccuracy(),
          s.truePositive(),
          s.falseNegative(),
          s.falsePositive());
      out.printf(
          Locale.ROOT,
          "latency at camera (scheduled capture to verdict): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
          s.roundTripP50Us() / 1000.0,
          s.roundTripP99Us() / 1000.0,
          s.roundTripP999Us() / 1000.0,
          s.roundTripMaxUs() / 1000.0);
      out.printf(
          Locale.ROOT,
          "latency in service (receipt to verdict): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          s.serviceP50Us() / 1000.0,
          s.serviceP99Us() / 1000.0,
          s.serviceMaxUs() / 1000.0);
      if (s.firstSecondParts() > 0) {
        out.printf(
            Locale.ROOT,
            "first second after ready: %d parts captured, %d fail-safe%n",
            s.firstSecondParts(),
            s.failSafeFirstSecond());
      }
      if (!s.errors().isEmpty()) {
        out.println("protocol errors reported by the service: " + s.errors());
      }
    }

    private static String failSafeBreakdown(SimStats.Snapshot s) {
      StringBuilder b = new StringBuilder();
      s.byReason()
          .forEach(
              (r, n) -> {
                if (r.isFailSafe() && n > 0) {
                  b.append(b.length() == 0 ? "(" : ", ").append(r).append(' ').append(n);
                }
              });
      return b.length() == 0 ? "" : b.append(')').toString();
    }

    public Map<String, Object> toMap() {
      SimStats.Snapshot s = stats;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("cameras", cameras);
      m.put("fpsPerCamera", settings.fps());
      m.put("seconds", seconds);
      m.put("width", settings.width());
      m.put("height", settings.height());
      m.put("pixelFormat", settings.format().name());
      m.put("framesSent", s.sent());
      m.put("defectivePartsSent", s.defectiveSent());
      m.put("verdictsReceived", s.verdicts());
      m.put("framesWithoutVerdict", s.withoutVerdict());
      m.put("duplicateVerdicts", s.duplicateVerdicts());
      m.put("unknownVerdicts", s.unknownVerdicts());
      m.put("outOfOrderVerdicts", s.outOfOrderVerdicts());
      m.put("pass", s.pass());
      m.put("fail", s.fail());
      m.put("failSafe", s.failSafe());
      Map<String, Long> reasons = new LinkedHashMap<>();
      for (ReasonCode r : ReasonCode.all()) {
        reasons.put(r.name(), s.byReason().getOrDefault(r, 0L));
      }
      m.put("byReason", reasons);
      m.put("accuracy", round(s.accuracy()));
      m.put("modelAccuracy", round(s.modelAccuracy()));
      m.put("defectsCaught", s.truePositive());
      m.put("defectsEscaped", s.falseNegative());
      m.put("goodPartsRejected", s.falsePositive());
      m.put("latencyP50Ms", s.roundTripP50Us() / 1000.0);
      m.put("latencyP99Ms", s.roundTripP99Us() / 1000.0);
      m.put("latencyP999Ms", s.roundTripP999Us() / 1000.0);
      m.put("latencyMaxMs", s.roundTripMaxUs() / 1000.0);
      m.put("serviceLatencyP50Ms", s.serviceP50Us() / 1000.0);
      m.put("serviceLatencyP99Ms", s.serviceP99Us() / 1000.0);
      m.put("serviceLatencyMaxMs", s.serviceMaxUs() / 1000.0);
      m.put("firstSecondParts", s.firstSecondParts());
      m.put("failSafeFirstSecond", s.failSafeFirstSecond());
      Map<String, Long> errors = new LinkedHashMap<>();
      s.errors().forEach((c, n) -> errors.put(c.name(), n));
      m.put("protocolErrors", errors);
      return m;
    }

    private static Object round(double v) {
      return Double.isNaN(v) ? null : Math.round(v * 10_000) / 10_000.0;
    }

    public static String toJson(Map<String, Object> m) throws IOException {
      return new ObjectMapper().writeValueAsString(m);
    }
  }
}
