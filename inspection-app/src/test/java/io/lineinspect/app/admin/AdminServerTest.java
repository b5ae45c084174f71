package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Scrapes /metrics during and after a load run and checks it against what the cameras saw. */
class AdminServerTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Sum of every sample of a metric (all label sets). */
  static long sum(String metrics, String name) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /**
   * Connects a camera whose clock is 80 ms behind, sends timestamped HEARTBEATs, and returns the
   * offset {@code /metrics} exports for it.
   */
  private static void send(java.net.Socket s, io.netty.buffer.ByteBuf b) throws Exception {
    byte[] bytes = new byte[b.readableBytes()];
    b.readBytes(bytes);
    b.clear();
    s.getOutputStream().write(bytes);
    s.getOutputStream().flush();
  }

  private static double scrapeClockOffsetOfACameraEightyMsBehind(int port, int adminPort)
      throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
      io.lineinspect.camera.protocol.Messages.writeHello(b, "cam-clock", new byte[0]);
      send(s, b);
      for (int i = 0; i < 8; i++) {
        // Stamped when sent, as a camera does; the minimum over them has the least transit.
        io.lineinspect.camera.protocol.Messages.writeHeartbeat(
            b, io.lineinspect.core.actuate.RejectScheduler.systemEpochMicros() - 80_000);
        send(s, b);
        Thread.sleep(20);
      }
      String line = "inspection_camera_clock_offset_seconds{camera=\"cam-clock\"} ";
      long until = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() - until < 0) {
        String body = get(adminPort, "/metrics").body();
        int i = body.indexOf(line);
        if (i >= 0) {
          return Double.parseDouble(body.substring(i + line.length(), body.indexOf('\n', i)));
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no clock offset exported for cam-clock");
    }
  }

  @Test
  void metricsMatchWhatTheCamerasSawAndReadyFollowsTheLifecycle() throws Exception {
    ServiceConfig cfg =
        DemoConfigs.onLoopback("builtin").withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    AtomicReference<String> during = new AtomicReference<>();
    SimStats.Snapshot seen;
    String after;
    double clockOffset;
    int adminPort;
    try (InspectionService service = new InspectionService(cfg, Path.of(".."))) {
      assertFalse(service.ready(), "not ready before the model is warmed up");
      int port = service.start();
      adminPort = service.adminPort();
      assertEquals(200, get(adminPort, "/ready").statusCode());
      assertEquals(200, get(adminPort, "/health").statusCode());
      SimRun.Result r =
          new SimRun(
                  "127.0.0.1",
                  port,
                  2,
                  new SimulatedCamera.Settings(160, 120, PixelFormat.MONO8, 40, 0.3, 3),
                  3,
                  new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
              .run(
                  () -> {
                    try {
                      during.set(get(service.adminPort(), "/metrics").body());
                    } catch (Exception e) {
                      during.set("scrape failed: " + e);
                    }
                    return "";
                  });
      seen = r.stats();
      clockOffset = scrapeClockOffsetOfACameraEightyMsBehind(port, adminPort);
      HttpResponse<String> m = get(adminPort, "/metrics");
      assertEquals(200, m.statusCode());
      assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      after = m.body();
    }
    assertEquals(0.080, clockOffset, 0.005, "offset of a camera clock 80 ms behind");
    // Both scrapes are valid text format, strictly read (throws on the first bad line).
    TextFormat.parse(during.get());
    java.util.Map<String, TextFormat.Family> families = TextFormat.parse(after);
    assertEquals("histogram", families.get("inspection_verdict_latency_seconds").type());
    assertEquals(
        (double) seen.verdicts(),
        families.get("inspection_verdict_latency_seconds").samples().stream()
            .filter(s -> s.name().endsWith("_count"))
            .findFirst()
            .orElseThrow()
            .value(),
        "every verdict the cameras got is in the latency histogram");
    assertTrue(after.contains("# TYPE inspection_camera_clock_offset_seconds gauge"), after);
    assertTrue(sum(during.get(), "inspection_verdicts_total") > 0, during.get());
    assertTrue(
        sum(during.get(), "inspection_verdicts_total") <= seen.verdicts(),
        "a scrape during the run sees no more than the cameras got in the end");
    assertEquals(seen.verdicts(), sum(after, "inspection_verdicts_total"), after);
    assertEquals(seen.verdicts(), sum(after, "inspection_camera_verdicts_total"), after);
    assertEquals(seen.fail(), sum(after, "inspection_camera_rejects_total"), after);
    assertEquals(seen.sent(), sum(after, "inspection_frames_received_total"), after);
    assertTrue(
        after.contains("inspection_stage_latency_seconds{stage=\"inference\",quantile=\"0.99\"} "),
        after);
    assertTrue(
        after.contains(
            "inspection_model_info{name=\"builtin-contrast\",sha256=\"builtin\",version=\"1\"} 1"),
        after);
    assertTrue(after.contains("# TYPE inspection_verdicts_total counter"), after);
    assertTrue(after.contains("inspection_drift_psi{feature=\"brightness\"}"), after);
    assertTrue(after.contains("inspection_drift_alarm 0.0\n"), after);
    assertTrue(
        after.contains("inspection_verdicts_total{reason=\"UNFIT_IMAGE\",verdict=\"FAIL\"} 0.0\n"),
        after);
    assertTrue(after.contains("# TYPE inspection_camera_unfit_alarm gauge"), after);
    assertTrue(
        after.matches("(?s).*inspection_camera_unfit_alarm\\{camera=\"[^\"]+\"\\} 0.0\n.*"), after);
    int closedPort = adminPort;
    boolean refused;
    try {
      get(closedPort, "/health");
      refused = false;
    } catch (java.io.IOException e) {
      refused = true;
    }
    assertTrue(refused, "the admin endpoint stops with the service");
  }

  @Test
  void healthAndReadyNameAStalledStageWithinASecondAndRecover() throws Exception {
    ServiceConfig c = DemoConfigs.load();
    io.lineinspect.core.config.PipelineConfig p = c.pipeline();
    ServiceConfig cfg =
        DemoConfigs.onLoopback(
                c,
                "builtin",
                0,
                new io.lineinspect.core.config.PipelineConfig(
                    p.ringSize(),
                    p.preprocessWorkers(),
                    p.maxBatch(),
                    p.maxDelayMs(),
                    p.initialFrameBytes(),
                    p.watchdogLeadMs(),
                    p.idlePollUs(),
                    300))
            .withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    java.util.concurrent.CountDownLatch hang = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean hanging =
        new java.util.concurrent.atomic.AtomicBoolean();
    try (InspectionService service =
        new InspectionService(cfg, Path.of(".."), b -> new HangingBackend(b, hanging, hang))) {
      int port = service.start();
      int admin = service.adminPort();
      assertEquals(200, get(admin, "/health").statusCode());
      hanging.set(true); // the next batch hangs inside the runtime, like a wedged GPU driver
      try (java.net.Socket cam = new java.net.Socket("127.0.0.1", port)) {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
        io.lineinspect.camera.protocol.Messages.writeHello(b, "cam-1", new byte[0]);
        byte[] px = new byte[64 * 64];
        io.lineinspect.camera.protocol.FrameFlyweight.writeMessage(
            b, 1, 0, false, 0, 64, 64, 1, px, 0, px.length);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        cam.getOutputStream().write(bytes);
        long start = System.nanoTime();
        HttpResponse<String> h = get(admin, "/health");
        while (h.statusCode() == 200 && System.nanoTime() - start < 3_000_000_000L) {
          Thread.sleep(20);
          h = get(admin, "/health");
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, h.statusCode(), h.body());
        assertTrue(h.body().contains("infer-0: stalled"), h.body());
        assertTrue(ms < 1_000, "/health turned 503 after " + ms + " ms");
        HttpResponse<String> r = get(admin, "/ready");
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("infer-0"), r.body());
        assertTrue(get(admin, "/metrics").body().contains("inspection_healthy 0.0\n"));
        hang.countDown();
        long until = System.nanoTime() + 3_000_000_000L;
        while (get(admin, "/health").statusCode() != 200 && System.nanoTime() - until < 0) {
          Thread.sleep(20);
        }
        assertEquals(200, get(admin, "/health").statusCode(), "healthy again once it returned");
        String m = get(admin, "/metrics").body();
        assertTrue(m.contains("inspection_stage_up{stage=\"infer-0\"} 1.0\n"), m);
        assertTrue(m.contains("inspection_ingest_errors_total{code=\"BAD_MAGIC\"} 0.0\n"), m);
        assertTrue(m.contains("inspection_listener_errors_total{listener="), m);
      }
    }
  }

  /** Delegates to a real backend; while {@code hanging}, a batch waits for the latch. */
  private static final class HangingBackend
      implements io.lineinspect.core.inference.InferenceBackend {
    private final io.lineinspect.core.inference.InferenceBackend real;
    private final java.util.concurrent.atomic.AtomicBoolean hanging;
    private final java.util.concurrent.CountDownLatch hang;

    HangingBackend(
        io.lineinspect.core.inference.InferenceBackend real,
        java.util.concurrent.atomic.AtomicBoolean hanging,
        java.util.concurrent.CountDownLatch hang) {
      this.real = real;
      this.hanging = hanging;
      this.hang = hang;
    }

    @Override
    public io.lineinspect.core.inference.ModelInfo model() {
      return real.model();
    }

    @Override
    public int maxBatch() {
      return real.maxBatch();
    }

    @Override
    public int inputFloats() {
      return real.inputFloats();
    }

    @Override
    public io.lineinspect.core.inference.Preprocessor newPreprocessor() {
      return real.newPreprocessor();
    }

    @Override
    public io.lineinspect.core.inference.InferenceSession newSession() {
      io.lineinspect.core.inference.InferenceSession s = real.newSession();
      return (batch, count) -> {
        if (hanging.get()) {
          hang.await(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        s.infer(batch, count);
      };
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
