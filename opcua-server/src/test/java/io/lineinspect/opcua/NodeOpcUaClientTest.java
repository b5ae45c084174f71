package io.lineinspect.opcua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent client: {@code src/test/node/independent-client.mjs}, written with node-opcua from
 * docs/opcua.md alone, against the server on loopback. Its application certificate is made here and
 * copied into the server's trust list beforehand (the documented operator workflow); it trusts the
 * server's {@code server.der} only. Skipped loudly without {@code node} or without the npm packages
 * ({@code npm install} in {@code opcua-server/src/test/node}); with {@code
 * INSPECT_REQUIRE_NODE_OPCUA=1} (set by .ci/run after installing them) it fails instead.
 */
class NodeOpcUaClientTest {
  static final Path DIR = Path.of("src/test/node");
  static final String APP_URI = "urn:lineinspect:test:node-opcua";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  private final VisionServerTest.FakeLine line = new VisionServerTest.FakeLine();
  private VisionServer server;
  private Process node;
  private final StringBuffer log = new StringBuffer();

  @BeforeAll
  static void needNodeOpcUa() {
    String why = null;
    if (!onPath("node")) {
      why = "`node` is not on the PATH";
    } else if (!Files.isDirectory(DIR.resolve("node_modules/node-opcua-client"))) {
      why =
          "node-opcua-client is not installed: run `npm install` in opcua-server/src/test/node"
              + " (.ci/run does)";
    }
    if (why != null) {
      String msg = "NodeOpcUaClientTest SKIPPED: " + why;
      if ("1".equals(System.getenv("INSPECT_REQUIRE_NODE_OPCUA"))) {
        fail(msg + ", but INSPECT_REQUIRE_NODE_OPCUA=1");
      }
      System.err.println("WARNING: " + msg);
      Assumptions.abort(msg);
    }
  }

  static boolean onPath(String exe) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, exe))) {
        return true;
      }
    }
    return false;
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.destroyForcibly();
    }
    if (server != null) {
      server.close();
    }
  }

  /** The client's identity as PEM files and its DER certificate in the server's trust list. */
  private ObjectNode start() throws Exception {
    UaTestClient.Identity me = UaTestClient.Identity.generate("node-opcua");
    me.trustAt(home.resolve("var/opcua"));
    Path pem = home.resolve("client");
    Files.createDirectories(pem);
    Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    Files.writeString(
        pem.resolve("cert.pem"),
        "-----BEGIN CERTIFICATE-----\n"
            + b64.encodeToString(me.certificate().getEncoded())
            + "\n-----END CERTIFICATE-----\n");
    Files.writeString(
        pem.resolve("key.pem"),
        "-----BEGIN PRIVATE KEY-----\n"
            + b64.encodeToString(me.keyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    server =
        new VisionServer(
            OpcUaConfig.onLoopback(0, "var/opcua").withEvents("all", 10_000), home, "line-1", line);
    server.start();
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("endpoint", server.endpointUrl());
    cfg.put("serverCertificate", server.certificateFile().toAbsolutePath().toString());
    cfg.put("certificateFile", pem.resolve("cert.pem").toAbsolutePath().toString());
    cfg.put("privateKeyFile", pem.resolve("key.pem").toAbsolutePath().toString());
    cfg.put("applicationUri", APP_URI);
    cfg.put("pkiDir", home.resolve("client-pki").toAbsolutePath().toString());
    cfg.put("user", "operator");
    cfg.put("password", Files.readString(home.resolve("var/opcua/operator.password")).strip());
    cfg.put("camera", "cam-2");
    cfg.put("events", 3);
    cfg.put("timeoutMs", 15_000);
    return cfg;
  }

  private BlockingQueue<JsonNode> run(ObjectNode cfg) throws Exception {
    Path file = home.resolve("client.json");
    Files.writeString(file, cfg.toString());
    node =
        new ProcessBuilder(
                "node",
                DIR.resolve("independent-client.mjs").toAbsolutePath().toString(),
                file.toString())
            .redirectError(home.resolve("node.err").toFile())
            .start();
    BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  if (!l.startsWith("{")) {
                    // node-opcua's own log lines (warnings) go to stdout too
                    log.append(l).append('\n');
                    continue;
                  }
                  try {
                    lines.add(JSON.readTree(l));
                  } catch (Exception e) {
                    lines.add(JSON.createObjectNode().put("type", "garbage").put("line", l));
                  }
                }
              } catch (Exception e) {
                // process gone
              }
              lines.add(JSON.createObjectNode().put("type", "eof"));
            },
            "node-opcua-stdout");
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  private JsonNode next(BlockingQueue<JsonNode> lines, String type) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonNode n = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (n == null) {
        throw new AssertionError("timed out waiting for '" + type + "' from node; " + stderr());
      }
      if (n.path("type").asText().equals(type)) {
        return n;
      }
      if (!n.path("type").asText().equals("event") || !type.equals("camera")) {
        if (n.path("type").asText().matches("error|eof|garbage")) {
          throw new AssertionError("node client: " + n + "; " + stderr());
        }
      }
    }
  }

  private String stderr() {
    try {
      String s = Files.readString(home.resolve("node.err"));
      s = log + s;
      return "log and stderr: " + (s.length() > 4000 ? s.substring(s.length() - 4000) : s);
    } catch (Exception e) {
      return "no stderr";
    }
  }

  private void feed(String record) {
    byte[] b = record.getBytes(StandardCharsets.UTF_8);
    server.feed().onChained("0", b, 0, b.length);
  }

  @Test
  void shouldReadTheModelAndCountersAndGetOneEventPerVerdictOverSignAndEncrypt() throws Exception {
    BlockingQueue<JsonNode> lines = run(start());
    JsonNode session = next(lines, "session");
    assertTrue(session.path("securityPolicy").asText().endsWith("#Basic256Sha256"), "" + session);
    assertEquals("SignAndEncrypt", session.path("securityMode").asText());
    JsonNode l = next(lines, "line");
    assertEquals("demo@1", l.path("modelVersion").asText(), "" + l);
    assertTrue(l.path("isSimulated").asBoolean(), "" + l);
    next(lines, "ready");

    feed(VisionServerTest.record(1, "cam-1", 1, "PASS", "NONE"));
    feed(VisionServerTest.record(2, "cam-2", 7, "FAIL", "NONE"));
    feed(VisionServerTest.record(3, "cam-2", 8, "FAIL", "DEADLINE"));

    List<JsonNode> events = new ArrayList<>();
    JsonNode cam;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonNode n = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (n == null) {
        throw new AssertionError("timed out; events " + events + "; " + stderr());
      }
      String t = n.path("type").asText();
      if (t.equals("event")) {
        events.add(n);
      } else if (t.equals("camera")) {
        cam = n;
        break;
      } else {
        throw new AssertionError("node client: " + n + "; events " + events + "; " + stderr());
      }
    }
    assertEquals(3, events.size(), "one event per verdict: " + events);
    String[][] want = {
      {"1", "1", "cam-1/1", "cam-1", "1", "PASS", "NONE", "h1"},
      {"2", "2", "cam-2/7", "cam-2", "7", "FAIL", "NONE", "h2"},
      {"3", "3", "cam-2/8", "cam-2", "8", "FAIL", "DEADLINE", "h3"},
    };
    for (int i = 0; i < 3; i++) {
      JsonNode e = events.get(i);
      String[] w = want[i];
      assertEquals(w[0], e.path("ResultId").asText(), "" + e);
      assertEquals(Integer.parseInt(w[1]), e.path("ResultState").asInt(), "" + e);
      assertEquals(w[2], e.path("PartId").asText(), "" + e);
      assertEquals(w[3], e.path("CameraId").asText(), "" + e);
      assertEquals(w[3], e.path("SourceName").asText(), "" + e);
      assertEquals(Long.parseLong(w[4]), e.path("Sequence").asLong(), "" + e);
      assertEquals(w[5], e.path("Verdict").asText(), "" + e);
      assertEquals(w[6], e.path("Reason").asText(), "" + e);
      assertEquals(w[7], e.path("AuditHash").asText(), "" + e);
      assertEquals("demo@1", e.path("ModelVersion").asText(), "" + e);
      assertTrue(e.path("IsSimulated").asBoolean(), "" + e);
      assertEquals(new int[] {100, 500, 700}[i], e.path("Severity").asInt(), "" + e);
      assertTrue(e.path("EventType").asText().endsWith(";s=Types/ResultReadyEventType"), "" + e);
    }
    assertEquals(0, cam.path("ok").asLong(), "" + cam);
    assertEquals(1, cam.path("ng").asLong(), "" + cam);
    assertEquals(1, cam.path("failSafe").asLong(), "" + cam);
    assertEquals("FAIL", cam.path("lastVerdict").asText(), "" + cam);
    assertEquals("3", cam.path("lastResultId").asText(), "" + cam);
    assertEquals(3, cam.path("verdicts").asLong(), "" + cam);
    JsonNode done = next(lines, "done");
    assertEquals(3, done.path("events").asInt(), "" + done);
    assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node client did not exit");
    assertEquals(0, node.exitValue(), stderr());
  }

  @Test
  void shouldRefuseAWrongPasswordToTheIndependentClient() throws Exception {
    ObjectNode cfg = start();
    cfg.put("password", "not-the-password");
    BlockingQueue<JsonNode> lines = run(cfg);
    JsonNode n = lines.poll(60, TimeUnit.SECONDS);
    if (n == null) {
      throw new AssertionError("node client said nothing; " + stderr());
    }
    assertEquals("error", n.path("type").asText(), "" + n + "; " + stderr());
    assertEquals(
        "session", n.path("stage").asText(), "the secure channel opens, the session not: " + n);
    assertTrue(
        n.path("message").asText().contains("BadUserAccessDenied")
            || n.path("message").asText().contains("UserAccessDenied"),
        "" + n);
    assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node client did not exit");
    assertEquals(3, node.exitValue(), stderr());
  }
}
