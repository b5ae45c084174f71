package io.lineinspect.app.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.config.AuditConfig;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A live demo line for the dashboard tests: the shipped demo configuration on loopback (builtin
 * model), its Modbus reject output driven into a simulated PLC in this JVM (so a test can kill it),
 * audit trail, image archive, the three admin roles' credentials and the labels in {@code home};
 * two simulated cameras streaming in the background for {@code seconds}.
 */
final class LiveLine implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  final Path home;
  final DemoActuators actuators;
  final InspectionService service;
  final SimStats stats = new SimStats();
  final CompletableFuture<SimRun.Result> cameras;

  LiveLine(Path home, int seconds) throws Exception {
    this.home = home;
    ServiceConfig c = DemoConfigs.load();
    ServiceConfig base =
        DemoConfigs.onLoopback(c, "builtin", 0)
            .withActuators(c.actuators())
            .withAudit(
                new AuditConfig(
                    true,
                    home.resolve("audit").toString(),
                    "segment",
                    null,
                    null,
                    null,
                    null,
                    null))
            .withArchive(new ArchiveConfig(true, home.resolve("archive").toString(), 0, null, null))
            .withAdmin(
                new AdminConfig(true, "127.0.0.1", 0)
                    .withRoleFiles("engineer.token", "operator.token", "viewer.token"));
    actuators = DemoActuators.prepare(base, "sim-in-process", 2, null);
    InspectionService s = new InspectionService(actuators.config(), home);
    try {
      int port = s.start();
      service = s;
      cameras =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new SimRun(
                          "127.0.0.1",
                          port,
                          2,
                          new SimulatedCamera.Settings(256, 256, PixelFormat.MONO8, 25, 0.3, 11),
                          seconds,
                          new PrintStream(
                              new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                      .run(() -> "", stats);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
    } catch (Exception e) {
      s.close();
      actuators.close();
      throw e;
    }
  }

  String url(String path) {
    return "http://127.0.0.1:" + service.adminPort() + path;
  }

  String token(String role) throws java.io.IOException {
    return Files.readString(home.resolve(role + ".token")).strip();
  }

  HttpResponse<String> get(String path, String role) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).GET();
    if (role != null) {
      b.header("Authorization", "Bearer " + token(role));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String role, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path)))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (role != null) {
      b.header("Authorization", "Bearer " + token(role));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode snapshot() throws Exception {
    return JSON.readTree(get("/dashboard/api/snapshot", null).body());
  }

  /** Polls the snapshot until {@code test} holds (at most {@code ms}); the last one either way. */
  JsonNode awaitSnapshot(java.util.function.Predicate<JsonNode> test, long ms) throws Exception {
    long until = System.nanoTime() + ms * 1_000_000L;
    JsonNode s = snapshot();
    while (!test.test(s) && System.nanoTime() - until < 0) {
      Thread.sleep(100);
      s = snapshot();
    }
    return s;
  }

  /** Kills the simulated PLC (its Modbus server goes away). */
  void killPlc() {
    actuators.gate().close();
  }

  @Override
  public void close() {
    cameras.cancel(true);
    service.close();
    actuators.close();
  }
}
