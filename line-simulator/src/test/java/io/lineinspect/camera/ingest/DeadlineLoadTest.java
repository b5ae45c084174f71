package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The deadline promise under load, over loopback TCP, with a backend whose speed the test controls
 * (it sleeps like a GPU: 10 ms + 0.5 ms per frame, batches of up to 16, so the sustainable
 * throughput is 16 / 18 ms ≈ 889 frames/s).
 *
 * <p>Every frame must get exactly one verdict, in order; every verdict must leave the service
 * within the budget plus {@link #TOLERANCE_MS} (measured on the service's clock, as reported in the
 * VERDICT); fail-safe verdicts must carry the reason that explains them.
 */
class DeadlineLoadTest {
  private static final int BUDGET_MS = 50;

  /**
   * Emission tolerance over the budget when the 2 cores are shared by 4 camera clients and the
   * service (see docs/architecture.md, "Deadlines"): the watchdog thread may be scheduled late (one
   * verdict took 68.6 ms at 3x load on 2026-12-02 in the shared test JVM).
   */
  private static final int TOLERANCE_MS = 25;

  /**
   * The watchdog lead for a shared, noisy 2-core machine where clients and service compete for the
   * CPU: with the default 2 ms one verdict in 80 000 once left 11 ms after the deadline.
   */
  private static final double WATCHDOG_LEAD_MS = 5.0;

  private static final long BASE_NS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long PER_FRAME_NS = TimeUnit.MICROSECONDS.toNanos(500);
  private static final int MAX_BATCH = 16;
  private static final double SUSTAINABLE_FPS =
      MAX_BATCH * 1e9 / (BASE_NS + PER_FRAME_NS * MAX_BATCH);
  private static final int CAMERAS = 4;

  private ScriptedBackend backend;
  private LoopbackServer line;
  private InspectionPipeline pipeline;
  private int port;

  private void start() throws Exception {
    backend = new ScriptedBackend(MAX_BATCH).sleeping(BASE_NS, PER_FRAME_NS).warmable(true);
    line =
        LoopbackServer.of(
                new PipelineConfig(1024, 1, MAX_BATCH, 2.0, 4096, WATCHDOG_LEAD_MS),
                BUDGET_MS,
                backend)
            .line("load-line")
            .ingest(LoopbackServer.ingest(1 << 20))
            .start();
    pipeline = line.pipeline();
    port = line.port();
  }

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  /**
   * Runs CAMERAS cameras at {@code totalFps} for {@code seconds}, then waits for the last verdicts.
   */
  private SimStats.Snapshot run(double totalFps, int seconds, Runnable midway) throws Exception {
    SimStats stats = new SimStats();
    List<SimulatedCamera> cams = new ArrayList<>();
    try {
      for (int i = 0; i < CAMERAS; i++) {
        cams.add(
            new SimulatedCamera(
                "127.0.0.1",
                port,
                "cam-" + i,
                new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, totalFps / CAMERAS, 0.3, i),
                stats));
      }
      Thread.sleep(seconds * 500L);
      midway.run();
      Thread.sleep(seconds * 500L);
      cams.forEach(SimulatedCamera::stopSending);
      for (SimulatedCamera c : cams) {
        assertTrue(c.awaitLastVerdict(BUDGET_MS + 2_000L), c.cameraId() + " last verdict");
        assertEquals(null, c.fatalError(), c.cameraId());
      }
      Thread.sleep(100);
    } finally {
      cams.forEach(SimulatedCamera::close);
    }
    SimStats.Snapshot s = stats.snapshot();
    PipelineMetrics.Snapshot m = pipeline.metrics().snapshot();
    System.out.printf(
        Locale.ROOT,
        "load %.0f fps (%.0f%% of %.0f sustainable) for %d s: sent %d, verdicts %d, by reason %s,"
            + " service latency p50 %.1f ms p99 %.1f ms max %.1f ms, mean batch %.1f,"
            + " watchdog verdicts %d, late results %d%n",
        totalFps,
        100 * totalFps / SUSTAINABLE_FPS,
        SUSTAINABLE_FPS,
        seconds,
        s.sent(),
        s.verdicts(),
        s.byReason(),
        s.serviceP50Us() / 1000.0,
        s.serviceP99Us() / 1000.0,
        s.serviceMaxUs() / 1000.0,
        m.meanBatchSize(),
        m.watchdogVerdicts(),
        m.lateResults());
    assertEquals(0, s.withoutVerdict(), "frames without verdict");
    assertEquals(0, s.duplicateVerdicts(), "duplicate verdicts");
    assertEquals(0, s.outOfOrderVerdicts(), "out-of-order verdicts");
    assertEquals(0, s.unknownVerdicts(), "unknown verdicts");
    assertEquals(s.sent(), s.verdicts());
    return s;
  }

  private static void assertWithinBudget(SimStats.Snapshot s) {
    assertTrue(
        s.serviceP99Us() <= BUDGET_MS * 1000L,
        "p99 " + s.serviceP99Us() / 1000.0 + " ms in the service");
    assertTrue(
        s.serviceMaxUs() <= (BUDGET_MS + TOLERANCE_MS) * 1000L,
        "slowest verdict took " + s.serviceMaxUs() / 1000.0 + " ms in the service");
  }

  @Test
  void shouldJudgeEveryFrameInsideTheBudgetAtEightyPercentOfCapacity() throws Exception {
    start();
    SimStats.Snapshot s = run(0.8 * SUSTAINABLE_FPS, 6, () -> {});
    // A speed figure on a shared 2-core box (4 camera clients and the service): printed above, and
    // bounded loosely here; only OVERLOAD and DEADLINE may appear, each a fail-safe, never a pass.
    long shed = s.byReason().get(ReasonCode.OVERLOAD) + s.byReason().get(ReasonCode.DEADLINE);
    assertEquals(s.failSafe(), shed, "only OVERLOAD and DEADLINE: " + s.byReason());
    assertTrue(
        s.failSafe() <= 0.10 * s.sent(), "at most 10 % fail-safe at 80% load: " + s.byReason());
    assertTrue(
        s.serviceMaxUs() <= (BUDGET_MS + TOLERANCE_MS) * 1000L, "max " + s.serviceMaxUs() + " µs");
  }

  @Test
  void shouldShedTheExcessAsOverloadOrDeadlineAtThreeTimesCapacity() throws Exception {
    start();
    SimStats.Snapshot s = run(3.0 * SUSTAINABLE_FPS, 30, () -> {});
    assertWithinBudget(s);
    long shed = s.byReason().get(ReasonCode.OVERLOAD) + s.byReason().get(ReasonCode.DEADLINE);
    assertEquals(s.failSafe(), shed, "only OVERLOAD and DEADLINE: " + s.byReason());
    long judged = s.byReason().get(ReasonCode.NONE);
    // The service keeps judging at (most of) its capacity instead of making every frame late.
    assertTrue(judged >= 0.5 * SUSTAINABLE_FPS * 30, "judged " + judged);
    assertTrue(shed >= s.sent() / 2, "shed " + shed + " of " + s.sent());
  }

  @Test
  void shouldFailSafeInferenceErrorsAndRecoverWhenTheBackendRecovers() throws Exception {
    start();
    backend.failing(true);
    SimStats.Snapshot s = run(0.5 * SUSTAINABLE_FPS, 4, () -> backend.failing(false));
    assertWithinBudget(s);
    assertTrue(s.byReason().get(ReasonCode.INFERENCE_ERROR) > 0, s.byReason().toString());
    assertTrue(s.byReason().get(ReasonCode.NONE) > 0, "recovered: " + s.byReason());
  }

  @Test
  void shouldFailSafeAtTheDeadlineWhileTheBackendHangsAndRecoverAfter() throws Exception {
    start();
    backend.gated(true);
    SimStats.Snapshot s = run(0.5 * SUSTAINABLE_FPS, 4, () -> backend.gated(false));
    assertWithinBudget(s);
    assertTrue(s.byReason().get(ReasonCode.DEADLINE) > 0, s.byReason().toString());
    assertTrue(s.byReason().get(ReasonCode.NONE) > 0, "recovered: " + s.byReason());
    assertEquals(
        s.failSafe(),
        s.byReason().get(ReasonCode.DEADLINE) + s.byReason().get(ReasonCode.OVERLOAD),
        s.byReason().toString());
  }
}
