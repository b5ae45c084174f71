package io.lineinspect.opcua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OPC UA server alone on loopback, fed synthetic audit lines: address space, events, rate
 * limit, methods and their rights, logins and certificates, with Milo's client.
 */
class VisionServerTest {
  @TempDir Path home;
  private final FakeLine line = new FakeLine();
  private VisionServer server;
  private UaTestClient.Identity me;

  static final class FakeLine implements LineStatus {
    volatile State state = State.OPERATIONAL;
    volatile Set<String> connected = Set.of("cam-1");

    @Override
    public State state() {
      return state;
    }

    @Override
    public Set<String> connectedCameras() {
      return connected;
    }

    @Override
    public String servedModel() {
      return "demo@1";
    }

    @Override
    public List<String> alarms() {
      return List.of();
    }

    @Override
    public boolean simulated() {
      return true;
    }
  }

  private void start(OpcUaConfig c) throws Exception {
    me = UaTestClient.Identity.generate("plc");
    me.trustAt(home.resolve("var/opcua"));
    server = new VisionServer(c, home, "line-1", line);
    server.start();
  }

  private static OpcUaConfig config() {
    return OpcUaConfig.onLoopback(0, "var/opcua").withEvents("all", 10_000);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  static String record(long n, String cam, long frame, String verdict, String reason) {
    String score = reason.equals("NONE") ? (verdict.equals("PASS") ? "0.1" : "0.9") : "null";
    return "{\"n\":"
        + n
        + ",\"cam\":\""
        + cam
        + "\",\"frame\":"
        + frame
        + ",\"captureUs\":0,\"receivedUs\":1795891636758258,\"verdict\":\""
        + verdict
        + "\",\"reason\":\""
        + reason
        + "\",\"score\":"
        + score
        + ",\"label\":\"x\",\"model\":\"demo\",\"version\":\"1\",\"sha256\":\"ab\",\"latencyUs\":"
        + (1000 + n)
        + ",\"stagesUs\":{\"queue\":1,\"preprocess\":2,\"batchWait\":3,"
        + "\"inference\":4,\"emit\":5},\"type\":\"record\",\"hash\":\"h"
        + n
        + "\"}";
  }

  private void feed(String line) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    server.feed().onChained("0", b, 0, b.length);
  }

  private UaTestClient engineer() throws Exception {
    return as("engineer");
  }

  private UaTestClient as(String user) throws Exception {
    String pw = Files.readString(home.resolve("var/opcua/" + user + ".password")).strip();
    return UaTestClient.connect(
        server.endpointUrl(),
        server.certificateFile(),
        me,
        user,
        pw,
        SecurityPolicy.Basic256Sha256);
  }

  static void await(BooleanSupplier c, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void shouldGenerateTheCertificateAndOwnerOnlyPasswordsAtFirstStart() throws Exception {
    start(config());
    Path dir = home.resolve("var/opcua");
    assertTrue(Files.isRegularFile(dir.resolve("server.pfx")));
    assertTrue(Files.isRegularFile(dir.resolve("server.der")));
    assertTrue(Files.isDirectory(dir.resolve("pki/rejected/certs")));
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve("engineer.password"))));
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve("server.pfx"))));
  }

  @Test
  void shouldServeTheAddressSpaceAndOneEventPerResult() throws Exception {
    start(config());
    try (UaTestClient c = engineer()) {
      assertTrue(
          c.children("VisionSystem")
              .containsAll(List.of("VisionStateMachine", "ResultManagement", "Line", "Cameras")),
          String.valueOf(c.children("VisionSystem")));
      await(
          () -> {
            try {
              return "Operational"
                  .equals(
                      ((LocalizedText) c.value("VisionSystem/VisionStateMachine/CurrentState"))
                          .text());
            } catch (UaException e) {
              return false;
            }
          },
          "Operational");
      assertEquals(
          "ContinuousExecution",
          ((LocalizedText)
                  c.value("VisionSystem/VisionStateMachine/AutomaticModeStateMachine/CurrentState"))
              .text());
      List<UaTestClient.Event> events = UaTestClient.events();
      c.subscribeResults(50, events);
      feed(record(1, "cam-1", 1, "PASS", "NONE"));
      feed(record(2, "cam-1", 2, "FAIL", "NONE"));
      feed(record(3, "cam-2", 1, "FAIL", "DEADLINE"));
      feed(
          "{\"n\":4,\"cam\":\"cam-2\",\"frame\":1,\"actuator\":\"a\",\"outcome\":\"DELIVERED\",\"atUs\":1,\"type\":\"reject\",\"hash\":\"r\"}");
      await(() -> events.size() >= 3, "3 events");
      Thread.sleep(200);
      assertEquals(3, events.size(), "one event per verdict record, none for the reject line");
      UaTestClient.Event e = events.get(2);
      assertEquals("3", e.get("mv:ResultId"));
      assertEquals(InspectionResult.STATE_FAIL_SAFE, e.get("mv:ResultState"));
      assertEquals("cam-2/1", e.get("mv:PartId"));
      assertEquals("DEADLINE", e.get("li:Reason"));
      assertEquals("FAIL", e.get("li:Verdict"));
      assertEquals("demo@1", e.get("li:ModelVersion"));
      assertEquals("h3", e.get("li:AuditHash"));
      assertEquals(Boolean.TRUE, e.get("mv:IsSimulated"));
      Double[] times = (Double[]) e.get("mv:ProcessingTimes");
      assertEquals(1.003, times[0], 1e-9);
      assertEquals(0.004, times[4], 1e-9);
      assertEquals(InspectionResult.STATE_OK, events.get(0).get("mv:ResultState"));
      assertEquals(InspectionResult.STATE_NG, events.get(1).get("mv:ResultState"));

      await(
          () -> {
            try {
              return Long.valueOf(3).equals(c.value("VisionSystem/Line/Verdicts"));
            } catch (UaException ex) {
              return false;
            }
          },
          "line counters");
      assertEquals(1L / 3.0, (Double) c.value("VisionSystem/Line/Yield"), 1e-9);
      assertEquals("demo@1", c.value("VisionSystem/Line/ModelVersion"));
      assertEquals(1L, c.value("VisionSystem/Cameras/cam-1/Ok"));
      assertEquals(1L, c.value("VisionSystem/Cameras/cam-1/Ng"));
      assertEquals(1L, c.value("VisionSystem/Cameras/cam-2/FailSafe"));
      assertEquals(1L, c.value("VisionSystem/Cameras/cam-2/FailSafeByReason/DEADLINE"));
      assertEquals("FAIL", c.value("VisionSystem/Cameras/cam-1/LastVerdict"));
      assertEquals(Boolean.TRUE, c.value("VisionSystem/Cameras/cam-1/Connected"));
      assertEquals(Boolean.FALSE, c.value("VisionSystem/Cameras/cam-2/Connected"));
      assertEquals(3L, c.value("VisionSystem/ResultManagement/EventsRaised"));

      var byId =
          c.call(
              "VisionSystem/ResultManagement",
              "VisionSystem/ResultManagement/GetResultById",
              new Variant("2"));
      assertTrue(UaTestClient.isGood(byId));
      assertEquals(record(2, "cam-1", 2, "FAIL", "NONE"), byId.getOutputArguments()[0].value());
      assertEquals(0, byId.getOutputArguments()[1].value());
      var missing =
          c.call(
              "VisionSystem/ResultManagement",
              "VisionSystem/ResultManagement/GetResultById",
              new Variant("99"));
      assertEquals(1, missing.getOutputArguments()[1].value());
      var list =
          c.call(
              "VisionSystem/ResultManagement",
              "VisionSystem/ResultManagement/GetResultListFiltered",
              new Variant("cam-1"),
              new Variant(0),
              new Variant(-1L),
              new Variant(Unsigned.uint(10)));
      assertTrue(UaTestClient.isGood(list), list.getStatusCode().toString());
      assertEquals(List.of("1", "2"), List.of((String[]) list.getOutputArguments()[0].value()));
      var ng =
          c.call(
              "VisionSystem/ResultManagement",
              "VisionSystem/ResultManagement/GetResultListFiltered",
              new Variant(""),
              new Variant(InspectionResult.STATE_FAIL_SAFE),
              new Variant(-1L),
              new Variant(Unsigned.uint(10)));
      assertEquals(List.of("3"), List.of((String[]) ng.getOutputArguments()[0].value()));
    }
  }

  @Test
  void shouldRateLimitAndCountSuppressedFailureEvents() throws Exception {
    start(OpcUaConfig.onLoopback(0, "var/opcua").withEvents("failures", 5));
    try (UaTestClient c = engineer()) {
      List<UaTestClient.Event> events = UaTestClient.events();
      c.subscribeResults(50, events);
      for (int i = 1; i <= 50; i++) {
        feed(record(i, "cam-1", i, "PASS", "NONE"));
      }
      for (int i = 51; i <= 150; i++) {
        feed(record(i, "cam-1", i, "FAIL", i % 2 == 0 ? "NONE" : "OVERLOAD"));
      }
      assertTrue(server.feed().awaitDrained(10_000));
      await(
          () -> {
            try {
              long raised = (Long) c.value("VisionSystem/ResultManagement/EventsRaised");
              long suppressed = (Long) c.value("VisionSystem/ResultManagement/EventsSuppressed");
              return raised + suppressed == 100;
            } catch (UaException e) {
              return false;
            }
          },
          "100 failures counted");
      long raised = (Long) c.value("VisionSystem/ResultManagement/EventsRaised");
      assertTrue(raised >= 5 && raised <= 10, "a burst of 5, then 5 per second: " + raised);
      Thread.sleep(300);
      assertEquals(raised, events.size());
      for (UaTestClient.Event e : events) {
        assertFalse(e.get("mv:ResultState").equals(InspectionResult.STATE_OK), "no PASS event");
      }
      assertEquals(150L, c.value("VisionSystem/Line/Verdicts"));
    }
  }

  @Test
  void shouldLetOnlyEngineersResetAndAnswerNotSupported() throws Exception {
    start(config());
    String sm = "VisionSystem/VisionStateMachine";
    try (UaTestClient op = as("operator")) {
      var r = op.call(sm, sm + "/Reset");
      assertEquals(StatusCodes.Bad_UserAccessDenied, UaTestClient.status(r));
      var read =
          op.call(
              "VisionSystem/ResultManagement",
              "VisionSystem/ResultManagement/GetResultById",
              new Variant("1"));
      assertTrue(UaTestClient.isGood(read), "reading results needs no engineer");
    }
    try (UaTestClient eng = engineer()) {
      assertTrue(UaTestClient.isGood(eng.call(sm, sm + "/Reset")));
      var stop =
          eng.call(sm + "/AutomaticModeStateMachine", sm + "/AutomaticModeStateMachine/Stop");
      assertEquals(StatusCodes.Bad_NotSupported, UaTestClient.status(stop));
      assertEquals(StatusCodes.Bad_NotSupported, UaTestClient.status(eng.call(sm, sm + "/Halt")));
    }
  }

  @Test
  void shouldRefuseAWrongPasswordAndAnUnknownUser() throws Exception {
    start(config());
    UaException wrong =
        assertThrows(
            UaException.class,
            () ->
                UaTestClient.connect(
                    server.endpointUrl(),
                    server.certificateFile(),
                    me,
                    "engineer",
                    "not-the-password",
                    SecurityPolicy.Basic256Sha256));
    assertEquals(StatusCodes.Bad_UserAccessDenied, wrong.getStatusCode().value(), wrong.toString());
    assertThrows(
        UaException.class,
        () ->
            UaTestClient.connect(
                server.endpointUrl(),
                server.certificateFile(),
                me,
                "nobody",
                "whatever-password",
                SecurityPolicy.Basic256Sha256));
  }

  @Test
  void shouldRefuseAnUntrustedCertificateAndKeepItForReview() throws Exception {
    start(config());
    UaTestClient.Identity stranger = UaTestClient.Identity.generate("stranger");
    String pw = Files.readString(home.resolve("var/opcua/engineer.password")).strip();
    assertThrows(
        UaException.class,
        () ->
            UaTestClient.connect(
                server.endpointUrl(),
                server.certificateFile(),
                stranger,
                "engineer",
                pw,
                SecurityPolicy.Basic256Sha256));
    Path rejected = home.resolve("var/opcua/pki/rejected/certs");
    try (var files = Files.list(rejected)) {
      assertEquals(1, files.count(), "the stranger's certificate is kept in " + rejected);
    }
  }

  @Test
  void shouldOfferNoUnsecuredEndpointUnlessConfigured() throws Exception {
    start(config());
    String pw = Files.readString(home.resolve("var/opcua/engineer.password")).strip();
    UaException e =
        assertThrows(
            UaException.class,
            () ->
                UaTestClient.connect(
                    server.endpointUrl(),
                    server.certificateFile(),
                    me,
                    "engineer",
                    pw,
                    SecurityPolicy.None));
    assertEquals(StatusCodes.Bad_ConfigurationError, e.getStatusCode().value(), e.toString());
  }

  @Test
  void shouldAdmitAClientCertificateCopiedIntoTheTrustListWhileRunning() throws Exception {
    start(config());
    UaTestClient.Identity later = UaTestClient.Identity.generate("later");
    String pw = Files.readString(home.resolve("var/opcua/engineer.password")).strip();
    assertThrows(
        UaException.class,
        () ->
            UaTestClient.connect(
                server.endpointUrl(),
                server.certificateFile(),
                later,
                "engineer",
                pw,
                SecurityPolicy.Basic256Sha256));
    later.trustAt(home.resolve("var/opcua"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (UaTestClient c =
          UaTestClient.connect(
              server.endpointUrl(),
              server.certificateFile(),
              later,
              "engineer",
              pw,
              SecurityPolicy.Basic256Sha256)) {
        String[] uris = c.raw().getNamespaceTable().toArray();
        assertTrue(List.of(uris).contains(VisionNamespace.URI));
        assertTrue(List.of(uris).contains(VisionNamespace.MV_URI));
        return;
      } catch (UaException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  @Test
  void shouldServeOnlyAnUnsecuredEndpointWhenConfigured() throws Exception {
    start(config().withSecurityPolicy("None"));
    String pw = Files.readString(home.resolve("var/opcua/engineer.password")).strip();
    try (UaTestClient c =
        UaTestClient.connect(
            server.endpointUrl(),
            server.certificateFile(),
            me,
            "engineer",
            pw,
            SecurityPolicy.None)) {
      assertEquals("demo@1", c.value("VisionSystem/Line/ModelVersion"));
    }
    assertThrows(
        UaException.class,
        () ->
            UaTestClient.connect(
                server.endpointUrl(),
                server.certificateFile(),
                me,
                "engineer",
                pw,
                SecurityPolicy.Basic256Sha256));
  }

  @Test
  void shouldRefuseAPasswordFileOthersCanRead() throws Exception {
    Path f = home.resolve("var/opcua/engineer.password");
    Files.createDirectories(f.getParent());
    Files.writeString(f, "a-long-enough-password\n");
    Files.setPosixFilePermissions(
        f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    String m =
        assertThrows(
                io.lineinspect.core.config.ConfigException.class,
                () -> new VisionServer(config(), home, "line-1", line))
            .getMessage();
    assertTrue(m.startsWith("opcua.users.engineer.passwordFile: "), m);
    assertTrue(m.contains("chmod 600"), m);
  }

  @Test
  void shouldListRecipesAndLetOnlyEngineersActivateOne() throws Exception {
    List<String> activated = new java.util.concurrent.CopyOnWriteArrayList<>();
    Recipes recipes =
        new Recipes() {
          @Override
          public List<Recipe> list() {
            return List.of(
                new Recipe("demo@1", ""),
                new Recipe("demo@2", ""),
                new Recipe("other@1", "checksum mismatch"));
          }

          @Override
          public Activation activate(String user, String client, String name, String version) {
            activated.add(user + " " + name + "@" + version);
            return version.equals("2")
                ? new Activation("ACTIVATED", "demo@2 serves", "demo@2")
                : new Activation("REFUSED", "golden set: 9/10", "demo@1");
          }
        };
    me = UaTestClient.Identity.generate("plc");
    me.trustAt(home.resolve("var/opcua"));
    server = new VisionServer(config(), home, "line-1", line, recipes);
    server.start();
    String rm = "VisionSystem/RecipeManagement";
    try (UaTestClient op = as("operator")) {
      var list = op.call(rm, rm + "/GetRecipeListFiltered", new Variant("demo"));
      assertEquals(
          List.of("demo@1", "demo@2"), List.of((String[]) list.getOutputArguments()[0].value()));
      var all = op.call(rm, rm + "/GetRecipeListFiltered", new Variant(""));
      assertEquals("checksum mismatch", ((String[]) all.getOutputArguments()[1].value())[2]);
      var denied = op.call(rm, rm + "/ActivateRecipe", new Variant("demo@2"));
      assertEquals(StatusCodes.Bad_UserAccessDenied, UaTestClient.status(denied));
      assertEquals("demo@1", op.value(rm + "/ActiveRecipe"));
    }
    try (UaTestClient eng = engineer()) {
      var ok = eng.call(rm, rm + "/ActivateRecipe", new Variant("demo@2"));
      assertEquals("ACTIVATED", ok.getOutputArguments()[0].value());
      assertEquals(0, ok.getOutputArguments()[2].value());
      var refused = eng.call(rm, rm + "/ActivateRecipe", new Variant("demo@1"));
      assertEquals("REFUSED", refused.getOutputArguments()[0].value());
      assertEquals(1, refused.getOutputArguments()[2].value());
      var bad = eng.call(rm, rm + "/ActivateRecipe", new Variant("demo"));
      assertEquals(StatusCodes.Bad_InvalidArgument, UaTestClient.status(bad));
    }
    assertEquals(List.of("engineer demo@2", "engineer demo@1"), activated);
  }
}
