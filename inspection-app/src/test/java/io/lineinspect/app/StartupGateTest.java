package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.inference.djl.ModelException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model served at start judges its own golden set before the service accepts cameras: the demo
 * model passes it (and /metrics shows the gate ran and how long it took); the demo model with its
 * golden labels flipped refuses start-up with the gate's report.
 */
class StartupGateTest {
  private static final Path DEMO =
      Path.of("..", "models", "demo-defects", "1").toAbsolutePath().normalize();
  private static final String TOKEN = "test-token-0123456789abcdef";

  @TempDir Path tmp;

  /** The demo model copied to {@code tmp/<name>}, its golden labels edited by {@code edit}. */
  private Path copyDemo(String name, java.util.function.UnaryOperator<String> edit)
      throws IOException {
    Path dir = tmp.resolve(name);
    try (Stream<Path> s = Files.walk(DEMO)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        Path to = dir.resolve(DEMO.relativize(p).toString());
        Files.createDirectories(to.getParent());
        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path labels = dir.resolve("golden/labels.csv");
    Files.writeString(labels, edit.apply(Files.readString(labels)));
    return dir.resolve("manifest.yaml");
  }

  /** Every {@code good} label becomes {@code defect} and back (the header stays). */
  private static String flipped(String csv) {
    return csv.lines()
            .map(
                l ->
                    l.contains(",good,")
                        ? l.replace(",good,", ",defect,")
                        : l.replace(",defect,", ",good,"))
            .collect(Collectors.joining("\n"))
        + "\n";
  }

  private ServiceConfig config(Path manifest, String gate) throws IOException {
    return ConfigLoader.parse(
        String.join(
            "\n",
            "line: {name: startup-gate-test, budgetMs: 50, failSafeVerdict: FAIL}",
            "ingest: {host: 127.0.0.1, port: 0, maxMessageBytes: 1048576}",
            "pipeline: {ringSize: 256, preprocessWorkers: 1, maxBatch: 8, maxDelayMs: 2.0}",
            "inference:",
            "  backend: djl",
            "  djl: {manifest: " + manifest + ", maxBatch: 8}",
            "audit: {enabled: false}",
            "archive: {enabled: false}",
            "admin: {host: 127.0.0.1, port: 0, token: " + TOKEN + "}",
            "models:",
            "  registry: " + tmp.resolve("registry"),
            "  state: " + tmp.resolve("state.json"),
            "  shadow: {dir: " + tmp.resolve("shadow") + "}",
            "  gate: " + gate),
        "test");
  }

  @Test
  void shouldRefuseToStartWithAModelThatFailsItsOwnGoldenSet() throws Exception {
    Path manifest = copyDemo("flipped", StartupGateTest::flipped);
    try (InspectionService s = new InspectionService(config(manifest, "{}"), Path.of(".."))) {
      ModelException e = assertThrows(ModelException.class, s::start);
      String m = e.getMessage();
      assertTrue(m.startsWith("demo-defects@1 fails its own golden set ("), m);
      assertTrue(m.contains("golden set: 0 of 120 correct (0.0 %)"), m);
      assertTrue(m.contains("wrong: 00000.png: labelled defect, candidate PASS (score"), m);
      assertTrue(m.contains("00001.png: labelled good, candidate FAIL"), m);
      GateReport r = e.report();
      assertNotNull(r, "the exception carries the gate's report");
      assertEquals(120, r.goldenTotal());
      assertEquals(0, r.goldenCorrect());
      assertEquals(10, r.examples().size());
      assertFalse(s.ready());
      assertEquals(0, s.port(), "the camera server never accepted cameras");
      assertFalse(s.startupGate().passed());
    }
  }

  @Test
  void shouldStartWithTheDemoModelAfterItPassesItsGoldenSetAndShowThatInMetrics() throws Exception {
    try (InspectionService s =
        new InspectionService(config(DEMO.resolve("manifest.yaml"), "{}"), Path.of(".."))) {
      s.start();
      assertTrue(s.ready());
      InspectionService.StartupGate g = s.startupGate();
      assertNotNull(g);
      assertTrue(g.passed());
      assertEquals(120, g.total());
      assertEquals(120, g.correct());
      System.out.println("start-up gate of the demo model: 120 images in " + g.millis() + " ms");
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + s.adminPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertTrue(
          metrics
              .body()
              .contains(
                  "inspection_startup_gate_seconds{correct=\"120\",model=\"demo-defects@1\","
                      + "total=\"120\"} "),
          metrics.body());
    }
  }

  @Test
  void shouldSkipTheGateWhenSwitchedOff() throws Exception {
    Path manifest = copyDemo("flipped", StartupGateTest::flipped);
    try (InspectionService s =
        new InspectionService(config(manifest, "{atStartup: false}"), Path.of(".."))) {
      s.start();
      assertTrue(s.ready());
      assertNull(s.startupGate());
    }
  }
}
