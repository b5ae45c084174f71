package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.ServiceProcess;
import io.lineinspect.app.SimRun;
import io.lineinspect.app.cli.LoadgenCommand;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model lifecycle on the real demo model (DJL, CPU) with a registry in a temporary directory:
 * refusals keep the served model, activation and rollback switch it, shadow mode records
 * disagreements without touching live verdicts, and a swap under steady load loses and delays
 * nothing.
 */
class ModelLifecycleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String TOKEN = "test-token-0123456789abcdef";
  private static final Path DEMO = Path.of("..", "models", "demo-defects", "1");

  @TempDir Path tmp;
  private Path registry;
  private Path run; // audit, archive, state, shadow records of one service run

  @BeforeEach
  void registry() throws IOException {
    run = tmp;
    registry = tmp.resolve("models");
    version("1", m -> m);
    version("2", m -> m);
    // An export mistake: class order swapped, so the defect score is the "good" probability.
    version("3", m -> m.replace("classes: [good, defect]", "classes: [defect, good]"));
  }

  /** Copies the demo model as {@code demo-defects/<v>}, with its manifest edited. */
  private Path version(String v, java.util.function.UnaryOperator<String> edit) throws IOException {
    Path dir = registry.resolve("demo-defects").resolve(v);
    Files.createDirectories(dir.resolve("golden"));
    try (Stream<Path> s = Files.walk(DEMO)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        Path to = dir.resolve(DEMO.relativize(p).toString());
        Files.createDirectories(to.getParent());
        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path manifest = dir.resolve("manifest.yaml");
    String m = Files.readString(manifest).replace("version: \"1\"", "version: \"" + v + "\"");
    Files.writeString(manifest, edit.apply(m));
    return dir;
  }

  private ServiceConfig config(String extra) throws IOException {
    return ConfigLoader.parse(yaml(0, 0, extra), "test");
  }

  /** The line's configuration: ports 0 pick free ones. */
  private String yaml(int port, int adminPort, String extra) {
    return String.join(
        "\n",
        "line: {name: lifecycle-test, budgetMs: 50, failSafeVerdict: FAIL}",
        "ingest: {host: 127.0.0.1, port: " + port + ", maxMessageBytes: 1048576}",
        "pipeline: {ringSize: 256, preprocessWorkers: 1, maxBatch: 8, maxDelayMs: 2.0}",
        "inference:",
        "  backend: djl",
        "  djl: {manifest: " + registry.resolve("demo-defects/1/manifest.yaml") + ", maxBatch: 8}",
        "audit: {dir: " + run.resolve("audit") + ", fsync: segment}",
        "archive: {dir: " + run.resolve("archive") + ", passEvery: 10}",
        "drift: {sampleEvery: 1, baselineSamples: 50, windowSamples: 50}",
        "admin: {host: 127.0.0.1, port: " + adminPort + ", token: " + TOKEN + "}",
        "models:",
        "  registry: " + registry,
        "  state: " + run.resolve("state.json"),
        "  gate: {recentFrames: 60}",
        "  shadow: {sampleEvery: 2, dir: " + run.resolve("shadow") + "}",
        extra);
  }

  private record Reply(int status, JsonNode body) {}

  private static Reply call(
      InspectionService s, String method, String path, String body, String token) throws Exception {
    return call(s.adminPort(), method, path, body, token);
  }

  private static Reply call(int adminPort, String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), JSON.readTree(r.body()));
  }

  private static Reply activate(InspectionService s, String version) throws Exception {
    return activate(s.adminPort(), version);
  }

  private static Reply activate(int adminPort, String version) throws Exception {
    return call(
        adminPort,
        "POST",
        "/models/activate",
        "{\"name\":\"demo-defects\",\"version\":\"" + version + "\"}",
        TOKEN);
  }

  private static SimStats.Snapshot cameras(InspectionService s, int seconds, long seed)
      throws Exception {
    return cameras(s.port(), seconds, seed);
  }

  private static SimStats.Snapshot cameras(int port, int seconds, long seed) throws Exception {
    return new SimRun(
            "127.0.0.1",
            port,
            2,
            new SimulatedCamera.Settings(256, 256, PixelFormat.MONO8, 15, 0.3, seed),
            seconds,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
        .run(() -> "")
        .stats();
  }

  /** The audit's verdict records, in the order they were written (= emission order). */
  private List<JsonNode> audit() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    List<Path> segments;
    try (Stream<Path> s = Files.list(run.resolve("audit"))) {
      segments = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
    for (Path p : segments) {
      for (String line : Files.readAllLines(p)) {
        JsonNode n = JSON.readTree(line);
        if ("record".equals(n.path("type").asText()) && n.has("verdict")) {
          out.add(n);
        }
      }
    }
    return out;
  }

  @Test
  void shouldRefuseWorseAndBrokenModelsKeepingTheServedOneAndRollBackInOneStep() throws Exception {
    Path tampered = version("4", m -> m);
    Files.write(
        tampered.resolve("model.pt"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    version("5", m -> m.replace("classes: [good, defect]", "classes: [good, defect, scrap]"));
    version("6", m -> m.replace("threshold: 0.5", "threshold: 0.5\nthreshhold: 0.4"));
    version("7", m -> m.replace("width: 128", "width: 96"));
    version("8", m -> m.replace("version: \"8\"", "version: \"9\""));
    try (InspectionService s = new InspectionService(config(""), Path.of(".."))) {
      s.start();
      cameras(s, 2, 11); // archive some line images for the gate's recent-frame check
      assertEquals("demo-defects@1", s.servedModel().id());

      assertEquals(401, call(s, "GET", "/models", null, null).status());
      assertEquals(
          401, call(s, "POST", "/models/rollback", null, "wrong-token-0123456789").status());

      Reply worse = activate(s, "3");
      assertEquals(409, worse.status(), worse.body().toString());
      assertEquals("REFUSED", worse.body().path("outcome").asText());
      JsonNode gate = worse.body().path("gate");
      assertEquals(120, gate.path("goldenTotal").asInt());
      assertTrue(gate.path("goldenCorrect").asInt() < 10, gate.toString());
      assertTrue(gate.path("recentTotal").asInt() > 0, "recent archived frames were compared");
      assertTrue(worse.body().path("message").asText().contains("minGoldenAccuracy"));
      assertEquals("demo-defects@1", s.servedModel().id());

      Map<String, String> broken = new HashMap<>();
      broken.put("4", "SHA-256");
      broken.put("5", "output shape");
      broken.put("6", "unknown key 'threshhold'");
      broken.put("7", "other preprocessing");
      broken.put("8", "says demo-defects@9 but lives in demo-defects/8");
      broken.put("99", "is not in the registry");
      for (Map.Entry<String, String> e : broken.entrySet()) {
        Reply r = activate(s, e.getKey());
        assertEquals(422, r.status(), e.getKey() + ": " + r.body());
        assertTrue(
            r.body().path("message").asText().contains(e.getValue()),
            e.getKey() + ": " + r.body().path("message").asText());
        assertEquals("demo-defects@1", s.servedModel().id(), "served model stays");
      }

      DriftMonitor drift = s.drift();
      assertTrue(drift.samples(DriftMonitor.Feature.SCORE) > 0);
      Reply good = activate(s, "2");
      assertEquals(200, good.status(), good.body().toString());
      assertEquals("ACTIVATED", good.body().path("outcome").asText());
      assertEquals(120, good.body().path("gate").path("goldenCorrect").asInt());
      assertEquals("demo-defects@2", s.servedModel().id());
      assertEquals(0, drift.samples(DriftMonitor.Feature.SCORE), "drift baseline restarts");
      JsonNode state = JSON.readTree(run.resolve("state.json").toFile());
      assertEquals("2", state.path("served").path("version").asText());
      assertEquals("1", state.path("history").get(0).path("version").asText());
      cameras(s, 1, 12);

      Reply back = call(s, "POST", "/models/rollback", null, TOKEN);
      assertEquals(200, back.status(), back.body().toString());
      assertTrue(back.body().path("steps").toString().contains("still loaded and warm"));
      assertEquals("demo-defects@1", s.servedModel().id());
      state = JSON.readTree(run.resolve("state.json").toFile());
      assertEquals("1", state.path("served").path("version").asText());
      assertEquals("rollback", state.path("served").path("how").asText());
      assertEquals(0, state.path("history").size());
      Reply again = call(s, "POST", "/models/rollback", null, TOKEN);
      assertEquals(409, again.status());
      assertTrue(again.body().path("message").asText().contains("nothing to roll back to"));

      String metrics =
          HTTP.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + s.adminPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertEquals(2, AdminServerTest.sum(metrics, "inspection_model_switches_total"), metrics);
      assertEquals(7, AdminServerTest.sum(metrics, "inspection_model_refusals_total"), metrics);

      // Serve 2 again; a restart must come back on 2, not on inference.djl.manifest's 1.
      assertEquals(200, activate(s, "2").status());
    }
    try (InspectionService s = new InspectionService(config(""), Path.of(".."))) {
      assertEquals("demo-defects@2", s.servedModel().id());
    }
    // Every verdict names the version that made it, and both served versions judged frames.
    List<JsonNode> records = audit();
    assertTrue(records.stream().anyMatch(r -> r.path("version").asText().equals("2")));
    assertTrue(records.stream().anyMatch(r -> r.path("version").asText().equals("1")));
    assertFalse(
        records.stream().anyMatch(r -> r.path("version").asText().equals("3")),
        "a refused model never judged a frame");
  }

  @Test
  void shouldAbandonARunningActivationWhenTheServiceStops() throws Exception {
    InspectionService s = new InspectionService(config(""), Path.of(".."));
    s.start();
    java.util.concurrent.atomic.AtomicReference<Object> outcome =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread client =
        new Thread(
            () -> {
              try {
                outcome.set(activate(s, "2").body().path("message").asText());
              } catch (Exception e) {
                outcome.set(e); // the admin endpoint may close before it answers
              }
            });
    client.start();
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (!call(s, "GET", "/models/status", null, TOKEN)
        .body()
        .path("operation")
        .asText()
        .startsWith("warming up")) {
      assertTrue(System.nanoTime() < until, "the activation reached its warm-up");
      Thread.sleep(20);
    }
    long t0 = System.nanoTime();
    s.close();
    long closeMs = (System.nanoTime() - t0) / 1_000_000;
    client.join(10_000);
    assertTrue(closeMs < 5_000, "stopping waited " + closeMs + " ms for the activation");
    Object o = outcome.get();
    assertTrue(o instanceof Exception || String.valueOf(o).contains("stopping"), String.valueOf(o));
    assertFalse(Files.exists(run.resolve("state.json")), "nothing was activated");
  }

  @Test
  void shouldRecordShadowDisagreementsWithoutChangingAnyLiveVerdict() throws Exception {
    Map<String, String> control = new HashMap<>();
    Map<String, String> shadowed = new HashMap<>();
    JsonNode stopped;
    try (InspectionService s = new InspectionService(config(""), Path.of(".."))) {
      s.start();
      cameras(s, 2, 21);
      int before = audit().size();
      Reply start =
          call(s, "POST", "/models/shadow", "{\"name\":\"demo-defects\",\"version\":\"3\"}", TOKEN);
      assertEquals(200, start.status(), start.body().toString());
      cameras(s, 2, 21); // the same parts again, now with the shadow model beside
      Reply stop = call(s, "DELETE", "/models/shadow", null, TOKEN);
      assertEquals(200, stop.status(), stop.body().toString());
      stopped = stop.body();
      List<JsonNode> records = audit();
      for (int i = 0; i < records.size(); i++) {
        JsonNode r = records.get(i);
        if (r.path("reason").asText().equals("NONE")) {
          (i < before ? control : shadowed)
              .put(
                  r.path("cam").asText() + "#" + r.path("frame").asText(),
                  r.path("verdict").asText() + "@" + r.path("version").asText());
        }
      }
    }
    // Same seed: the same parts in both runs. Every part judged in both got the same verdict
    // from the same live model.
    int compared = 0;
    for (Map.Entry<String, String> e : shadowed.entrySet()) {
      String c = control.get(e.getKey());
      if (c != null) {
        compared++;
        assertEquals(c, e.getValue(), "live verdict of " + e.getKey());
      }
    }
    assertTrue(compared > 40, "parts judged in both runs: " + compared);
    assertTrue(
        shadowed.values().stream().allMatch(v -> v.endsWith("@1")), "only the live model decides");
    List<String> lines =
        Files.readAllLines(
            run.resolve("shadow").resolve("demo-defects@3").resolve("disagreements.jsonl"));
    assertFalse(lines.isEmpty(), stopped.toString());
    // The inverted candidate disagrees with every frame it judged; each is recorded with its image.
    String message = stopped.path("message").asText();
    assertTrue(message.contains(" 0 agreed"), message);
    assertTrue(message.contains(lines.size() + " disagreed"), message + " vs " + lines.size());
    for (String line : lines) {
      JsonNode n = JSON.readTree(line);
      assertEquals("demo-defects@1", n.path("live").path("model").asText());
      assertNotEquals(
          n.path("live").path("verdict").asText(), n.path("candidate").path("verdict").asText());
      assertTrue(
          Files.isRegularFile(
              run.resolve("shadow/demo-defects@3").resolve(n.path("image").asText())),
          line);
    }
  }

  @Test
  void shouldSwapUnderSteadyLoadWithNoFrameLostOrLateAndOneSwitchPoint() throws Exception {
    // Like the latency gate (configs/latency-gate.yaml), the timing part gets a second attempt on
    // a shared machine: every other assertion holds on each attempt, and a swap that costs the
    // line deadlines (model work at normal priority did: 5-10 per swap) fails both.
    List<String> late = swapUnderLoad();
    if (!late.isEmpty()) {
      System.out.println("attempt 1: time fail-safes during the swap " + late + "; second attempt");
      run = tmp.resolve("attempt-2");
      Files.createDirectories(run);
      late = swapUnderLoad();
    }
    assertEquals(List.of(), late, "frames failed safe for time while the swap ran");
  }

  /**
   * One swap under load, checking that nothing was lost and the version switched at one point.
   *
   * @return the frames failed safe for time while the swap ran
   */
  private List<String> swapUnderLoad() throws Exception {
    // The load generator drives 2 cameras at a steady 16 frames/s for 30 s; 6 s in, version 2 is
    // activated through the admin API (load, warm-up and golden-set check beside the line, then
    // the switch). Every frame must get its verdict, none may fail safe for time while the swap
    // runs, and the verdicts must change version at exactly one point. The rate leaves the line
    // spare capacity, which is what the candidate's work uses (docs/models.md has the measured
    // effect on a line near its limit).
    // The service runs in its own JVM, as on a line: the load generator's rendering and garbage
    // collection in this JVM must not pause it.
    int port = ServiceProcess.freePort();
    int adminPort = ServiceProcess.freePort();
    Path yaml = run.resolve("line.yaml");
    Files.writeString(yaml, yaml(port, adminPort, ""));
    JsonNode report;
    long swapStartUs;
    long swapEndUs;
    Reply swap;
    Process service = ServiceProcess.start(yaml);
    try {
      cameras(port, 2, 31); // line images in the archive for the gate
      // This JVM's HTTP client starts before the measurement: on 2 cores its start-up burst would
      // otherwise land on the service at the moment of the swap.
      assertEquals(200, call(adminPort, "GET", "/models/status", null, TOKEN).status());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
      Thread loadgen =
          new Thread(
              () ->
                  new picocli.CommandLine(new LoadgenCommand(out))
                      .execute(
                          "--config=" + yaml,
                          "--port=" + port,
                          "--cameras=2",
                          "--rate=16",
                          "--frames=parts",
                          "--size=256",
                          "--pool=64",
                          "--warmup-seconds=1",
                          "--seconds=30",
                          "--model-seconds=0",
                          "--json"),
              "loadgen");
      loadgen.start();
      Thread.sleep(6_000);
      swapStartUs = epochMicros();
      swap = activate(adminPort, "2");
      swapEndUs = epochMicros();
      assertTrue(
          loadgen.isAlive(),
          "the swap ("
              + (swapEndUs - swapStartUs) / 1000
              + " ms) must finish while the load generator still runs");
      loadgen.join(60_000);
      assertFalse(loadgen.isAlive(), "the load generator finished");
      List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
      report = JSON.readTree(lines.get(lines.size() - 1));
      assertEquals(
          "demo-defects@2",
          call(adminPort, "GET", "/models/status", null, TOKEN)
              .body()
              .path("served")
              .path("id")
              .asText());
    } finally {
      service.destroy(); // SIGTERM: drains, closes the audit
      service.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertEquals(200, swap.status(), swap.body().toString());
    JsonNode seen = report.get("service");
    assertEquals(seen.get("framesSent").asLong(), seen.get("verdictsReceived").asLong());
    assertEquals(0, seen.get("framesWithoutVerdict").asLong(), seen.toString());
    assertEquals(0, seen.get("duplicateVerdicts").asLong());
    assertEquals(0, seen.get("outOfOrderVerdicts").asLong());

    List<JsonNode> records = audit();
    // Deadline misses caused by the swap: time fail-safes of frames received while it ran.
    long budgetUs = 50_000;
    List<String> lateDuringSwap = new ArrayList<>();
    int timeFailSafeOverall = 0;
    for (JsonNode r : records) {
      String reason = r.path("reason").asText();
      if (reason.equals("DEADLINE") || reason.equals("OVERLOAD")) {
        timeFailSafeOverall++;
        long rx = r.path("receivedUs").asLong();
        if (rx >= swapStartUs - budgetUs && rx <= swapEndUs + budgetUs) {
          lateDuringSwap.add(
              r.path("cam").asText()
                  + "#"
                  + r.path("frame").asText()
                  + " "
                  + reason
                  + " stages reached (us) "
                  + r.path("stagesUs"));
        }
      }
    }
    System.out.println(latencies(records, swapStartUs, swapEndUs));
    System.out.printf(
        "model swap under load: swap took %d ms; time fail-safes during it %d, in the whole run %d;"
            + " service p99 %.1f ms%n",
        (swapEndUs - swapStartUs) / 1000,
        lateDuringSwap.size(),
        timeFailSafeOverall,
        seen.get("serviceLatencyP99Ms").asDouble());

    // One switch point: in emission order, every judged verdict before it is version 1, every one
    // after it version 2, and the switch falls inside the swap.
    List<JsonNode> judged =
        records.stream().filter(r -> r.path("reason").asText().equals("NONE")).toList();
    int switchAt = -1;
    for (int i = 1; i < judged.size(); i++) {
      String a = judged.get(i - 1).path("version").asText();
      String b = judged.get(i).path("version").asText();
      if (!a.equals(b)) {
        assertEquals(-1, switchAt, "a second switch point at " + i);
        assertEquals("1", a);
        assertEquals("2", b);
        switchAt = i;
      }
    }
    assertTrue(switchAt > 0, "the version switched while frames flowed");
    // The last frame judged by version 1 arrived before the activation answered; the first judged
    // by version 2 arrived after it was requested (nothing was judged by a model being loaded).
    long lastV1 = judged.get(switchAt - 1).path("receivedUs").asLong();
    long firstV2 = judged.get(switchAt).path("receivedUs").asLong();
    assertTrue(lastV1 <= swapEndUs, "last version-1 frame arrived before the swap ended");
    assertTrue(firstV2 >= swapStartUs, "first version-2 frame arrived after the swap started");
    long v2 = judged.size() - switchAt;
    // How many each version judges depends on how long the activation took on this (shared) box.
    assertTrue(switchAt > 20 && v2 > 20, "both versions judged frames: " + switchAt + "/" + v2);
    return lateDuringSwap;
  }

  /** Service latency quantiles of judged frames before, during and after the swap. */
  private static String latencies(List<JsonNode> records, long fromUs, long toUs) {
    List<List<Long>> w = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (JsonNode r : records) {
      if (!r.path("reason").asText().equals("NONE")) {
        continue;
      }
      long rx = r.path("receivedUs").asLong();
      int i = rx < fromUs ? 0 : rx <= toUs ? 1 : 2;
      w.get(i).add(r.path("latencyUs").asLong());
    }
    StringBuilder b = new StringBuilder("service latency of judged frames (p50/p99/max ms):");
    String[] names = {" before", " during", " after"};
    for (int i = 0; i < 3; i++) {
      List<Long> l = w.get(i).stream().sorted().toList();
      if (l.isEmpty()) {
        continue;
      }
      b.append(names[i])
          .append(
              String.format(
                  java.util.Locale.ROOT,
                  " %d frames %.1f/%.1f/%.1f;",
                  l.size(),
                  l.get(l.size() / 2) / 1000.0,
                  l.get(Math.min(l.size() - 1, (int) (l.size() * 0.99))) / 1000.0,
                  l.get(l.size() - 1) / 1000.0));
    }
    return b.toString();
  }

  private static long epochMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
