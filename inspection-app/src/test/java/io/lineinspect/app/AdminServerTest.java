package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.sim.SimStats;
import io.lineinspect.camera.sim.SimulatedCamera;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
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

  @Test
  void metricsMatchWhatTheCamerasSawAndReadyFollowsTheLifecycle() throws Exception {
    ServiceConfig c = ConfigLoader.load(Path.of("..", "configs", "demo-line.yaml"));
    ServiceConfig cfg =
        new ServiceConfig(
                c.line(),
                c.ingest().listeningOn("127.0.0.1", 0),
                c.pipeline(),
                new InferenceConfig("builtin", c.inference().builtin(), c.inference().djl()))
            .withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    AtomicReference<String> during = new AtomicReference<>();
    SimStats.Snapshot seen;
    String after;
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
      HttpResponse<String> m = get(adminPort, "/metrics");
      assertEquals(200, m.statusCode());
      assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      after = m.body();
    }
    assertTrue(sum(during.get(), "inspection_verdicts_total") > 0, during.get());
    assertTrue(
        sum(during.get(), "inspection_verdicts_total") <= seen.verdicts(),
        "a scrape during the run sees no more than the cameras got in the end");
    assertEquals(seen.verdicts(), sum(after, "inspection_verdicts_total"), after);
    assertEquals(seen.verdicts(), sum(after, "inspection_camera_verdicts_total"), after);
    assertEquals(seen.fail(), sum(after, "inspection_camera_rejects_total"), after);
    assertEquals(seen.sent(), sum(after, "inspection_frames_received_total"), after);
    assertTrue(
        after.contains("inspection_stage_latency_seconds{stage=\"inference\",quantile=\"0.99\"}"),
        after);
    assertTrue(
        after.contains("inspection_model_info{name=\"builtin-contrast\",version=\"1\""), after);
    assertTrue(after.contains("# TYPE inspection_verdicts_total counter"), after);
    assertTrue(after.contains("inspection_drift_psi{feature=\"brightness\"}"), after);
    assertTrue(after.contains("inspection_drift_alarm 0"), after);
    assertTrue(
        after.contains("inspection_verdicts_total{verdict=\"FAIL\",reason=\"UNFIT_IMAGE\"} 0"),
        after);
    assertTrue(after.contains("# TYPE inspection_camera_unfit_alarm gauge"), after);
    assertTrue(
        after.matches("(?s).*inspection_camera_unfit_alarm\\{camera=\"[^\"]+\"\\} 0\n.*"), after);
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
}
