package io.lineinspect.app.opcua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.config.ModuleSection;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.config.WarmupConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.opcua.OpcUaConfig;
import io.lineinspect.opcua.UaTestClient;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole service (builtin backend, loopback) with {@code opcua:} on: a Milo client subscribed to
 * ResultReadyEvents while simulated cameras run gets exactly one event per verdict the cameras got,
 * each the same as the part's audit record; the counters and GetResultById agree.
 */
class OpcUaServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void shouldRaiseOneResultReadyEventPerVerdictTheCamerasGot(@TempDir Path home) throws Exception {
    OpcUaConfig opcua = OpcUaConfig.onLoopback(0, "var/opcua").withEvents("all", 100_000);
    ServiceConfig config =
        DemoConfigs.onLoopback(DemoConfigs.load(), "builtin", 0)
            .withWarmup(WarmupConfig.off())
            .withAudit(new AuditConfig(true, "var/audit", null, null, null, null, null, null))
            .withOpcUa(ModuleSection.of(ServiceConfig.OPCUA, opcua));
    UaTestClient.Identity me = UaTestClient.Identity.generate("scada");
    me.trustAt(home.resolve("var/opcua"));
    List<UaTestClient.Event> events = UaTestClient.events();
    SimStats.Snapshot cams;
    Map<String, Long> okByCamera = new TreeMap<>();
    try (InspectionService service = new InspectionService(config, home)) {
      int port = service.start();
      String pw = Files.readString(home.resolve("var/opcua/engineer.password")).strip();
      try (UaTestClient c =
          UaTestClient.connect(
              service.opcua().endpointUrl(),
              service.opcua().certificateFile(),
              me,
              "engineer",
              pw,
              SecurityPolicy.Basic256Sha256)) {
        c.subscribeResults(100, events);
        awaitState(c, "Operational");
        PrintStream quiet =
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        SimulatedCamera.Settings s =
            new SimulatedCamera.Settings(128, 128, PixelFormat.MONO8, 40, 0.3, 3);
        SimRun.Result run = new SimRun("127.0.0.1", port, 2, s, 3, quiet).run(() -> "");
        cams = run.stats();
        assertTrue(run.promisesKept(), "every frame got one verdict");
        assertTrue(cams.verdicts() > 50, "cameras ran: " + cams.verdicts());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (events.size() < cams.verdicts() && System.nanoTime() - deadline < 0) {
          Thread.sleep(50);
        }
        Thread.sleep(300); // nothing more may come
        assertEquals(cams.verdicts(), events.size(), "one event per verdict the cameras got");

        long pass = events.stream().filter(e -> "PASS".equals(e.get("li:Verdict"))).count();
        assertEquals(cams.pass(), pass, "PASS events = PASS verdicts at the cameras");
        assertEquals(cams.fail(), events.size() - pass, "FAIL events = FAIL verdicts");

        awaitValue(c, "VisionSystem/Line/Verdicts", cams.verdicts());
        for (String cam : List.of("cam-1", "cam-2")) {
          long ok = (Long) c.value("VisionSystem/Cameras/" + cam + "/Ok");
          long ng = (Long) c.value("VisionSystem/Cameras/" + cam + "/Ng");
          long fs = (Long) c.value("VisionSystem/Cameras/" + cam + "/FailSafe");
          long seen = events.stream().filter(e -> cam.equals(e.get("li:CameraId"))).count();
          assertEquals(seen, ok + ng + fs, cam + " counters");
          assertEquals(Boolean.FALSE, c.value("VisionSystem/Cameras/" + cam + "/Connected"));
          okByCamera.put(cam, ok);
        }
        assertEquals(service.servedModel().id(), c.value("VisionSystem/Line/ModelVersion"));
        assertTrue(((Double) c.value("VisionSystem/Line/LatencyP99Ms")) > 0);
        String lastId = (String) events.get(events.size() - 1).get("mv:ResultId");
        var r =
            c.call(
                "VisionSystem/ResultManagement",
                "VisionSystem/ResultManagement/GetResultById",
                new Variant(lastId));
        assertTrue(UaTestClient.isGood(r));
        JsonNode rec = JSON.readTree((String) r.getOutputArguments()[0].value());
        assertEquals(lastId, rec.path("n").asText());

        // RecipeManagement goes through the model lifecycle: the builtin backend has no registry
        // models, so the activation fails there, and is audited like one over the admin endpoint.
        var a =
            c.call(
                "VisionSystem/RecipeManagement",
                "VisionSystem/RecipeManagement/ActivateRecipe",
                new Variant("demo-defects@2"));
        assertTrue(UaTestClient.isGood(a), a.getStatusCode().toString());
        assertEquals("FAILED", a.getOutputArguments()[0].value(), "" + a.getOutputArguments()[1]);
        assertEquals(1, a.getOutputArguments()[2].value());
      }
    }
    // After close, compare every event with the audit trail written for the same part.
    Map<String, JsonNode> records = new HashMap<>();
    try (Stream<Path> files = Files.list(home.resolve("var/audit"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(f)) {
          JsonNode n = JSON.readTree(line);
          if ("record".equals(n.path("type").asText())) {
            records.put(n.path("n").asText(), n);
          }
        }
      }
    }
    assertEquals(records.size(), events.size(), "one event per audit record");
    for (UaTestClient.Event e : events) {
      JsonNode rec = records.get((String) e.get("mv:ResultId"));
      assertNotNull(rec, "audit record " + e.get("mv:ResultId"));
      assertEquals(rec.path("cam").asText() + "/" + rec.path("frame").asText(), e.get("mv:PartId"));
      assertEquals(rec.path("verdict").asText(), e.get("li:Verdict"));
      assertEquals(rec.path("reason").asText(), e.get("li:Reason"));
      assertEquals(rec.path("hash").asText(), e.get("li:AuditHash"));
      int state = (Integer) e.get("mv:ResultState");
      assertEquals(
          rec.path("reason").asText().equals("NONE")
              ? (rec.path("verdict").asText().equals("PASS") ? 1 : 2)
              : 3,
          state);
    }
    long ok =
        records.values().stream()
            .filter(n -> n.path("reason").asText().equals("NONE"))
            .filter(n -> n.path("verdict").asText().equals("PASS"))
            .count();
    assertEquals(ok, okByCamera.values().stream().mapToLong(Long::longValue).sum());
    List<String> admin = new java.util.ArrayList<>();
    try (Stream<Path> files = Files.list(home.resolve("var/audit"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.contains("\"type\":\"admin\"")) {
            admin.add(line);
          }
        }
      }
    }
    assertEquals(1, admin.size(), String.valueOf(admin));
    JsonNode act = JSON.readTree(admin.get(0));
    assertEquals("/opcua/RecipeManagement/ActivateRecipe", act.path("path").asText());
    assertEquals("OPCUA", act.path("method").asText());
    assertEquals("engineer", act.path("role").asText());
    assertEquals("FAILED", act.path("outcome").asText());
    assertEquals("demo-defects", act.path("params").path("name").asText());
    assertTrue(act.path("remote").asText().startsWith("opcua:engineer@"), act.toString());
  }

  private static void awaitState(UaTestClient c, String state) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    String now = "";
    while (System.nanoTime() - deadline < 0) {
      now = ((LocalizedText) c.value("VisionSystem/VisionStateMachine/CurrentState")).text();
      if (state.equals(now)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("VisionStateMachine stayed " + now + ", not " + state);
  }

  private static void awaitValue(UaTestClient c, String id, Object want) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Object now = null;
    while (System.nanoTime() - deadline < 0) {
      now = c.value(id);
      if (want.equals(now)) {
        return;
      }
      Thread.sleep(50);
    }
    assertEquals(want, now, id);
  }
}
