package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.AdminTlsConfig;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.tls.PemTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles on the admin endpoint (real service on loopback, real HTTP and HTTPS clients): each route
 * needs its role, a wrong or missing credential is 401 and a role too low 403; every change and
 * every refusal is in the audit chain (refusals rate-limited), which still verifies.
 */
class AdminAccessTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Path TLS = Path.of("src/test/resources/io/lineinspect/app/admin/tls");

  @TempDir Path home;

  private ServiceConfig config(String openReads, AdminTlsConfig tls) {
    return DemoConfigs.onLoopback("builtin")
        .withAudit(
            new AuditConfig(
                true, home.resolve("audit").toString(), "segment", null, null, null, null, null))
        .withAdmin(
            new AdminConfig(true, "127.0.0.1", 0)
                .withRoleFiles("engineer.token", "operator.token", "viewer.token")
                .withOpenReads(openReads)
                .withTls(tls));
  }

  private String token(String role) throws IOException {
    return Files.readString(home.resolve(role + ".token")).strip();
  }

  private static int call(
      HttpClient c, String scheme, int port, String method, String path, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + path))
            .method(
                method,
                method.equals("POST") && path.endsWith("activate")
                    ? HttpRequest.BodyPublishers.ofString("{\"name\":\"demo\",\"version\":\"9\"}")
                    : HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return c.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private List<JsonNode> adminLines() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (Path p : AuditVerifier.segments(home.resolve("audit"))) {
      for (String l : Files.readAllLines(p)) {
        JsonNode n = JSON.readTree(l);
        if (n.path("type").asText().startsWith("admin")) {
          out.add(n);
        }
      }
    }
    return out;
  }

  @Test
  void shouldGiveEachRouteItsRoleAndAuditEveryChangeAndRefusal() throws Exception {
    int refusals = 40;
    try (InspectionService s = new InspectionService(config("loopback", null), home)) {
      s.start();
      int port = s.adminPort();
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(
              Files.getPosixFilePermissions(home.resolve("viewer.token"))));
      String viewer = token("viewer");
      String operator = token("operator");
      String engineer = token("engineer");
      // Probes: open on loopback; a wrong credential is still refused.
      assertEquals(200, call(HTTP, "http", port, "GET", "/health", null));
      assertEquals(200, call(HTTP, "http", port, "GET", "/metrics", viewer));
      assertEquals(401, call(HTTP, "http", port, "GET", "/metrics", "wrong-token-0123456789"));
      // Model reads: viewer and up; never open.
      assertEquals(401, call(HTTP, "http", port, "GET", "/models/status", null));
      assertEquals(200, call(HTTP, "http", port, "GET", "/models/status", viewer));
      assertEquals(200, call(HTTP, "http", port, "GET", "/models/status", operator));
      // Model operations: engineer only.
      assertEquals(403, call(HTTP, "http", port, "POST", "/models/rollback", viewer));
      assertEquals(403, call(HTTP, "http", port, "POST", "/models/activate", operator));
      assertEquals(401, call(HTTP, "http", port, "POST", "/models/rollback", null));
      int status = call(HTTP, "http", port, "POST", "/models/activate", engineer);
      assertTrue(status != 401 && status != 403, "engineer may activate: " + status);
      for (int i = 0; i < refusals; i++) {
        assertEquals(
            401,
            call(HTTP, "http", port, "POST", "/models/rollback", "guess-" + i + "-0123456789"));
      }
      String metrics =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .header("Authorization", "Bearer " + viewer)
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertTrue(
          metrics.contains("inspection_admin_refused_total{outcome=\"FORBIDDEN\"} 2.0"), metrics);
      assertTrue(
          metrics.contains(
              "inspection_admin_refused_total{outcome=\"UNAUTHENTICATED\"} "
                  + (3 + refusals)
                  + ".0"),
          metrics);
    }
    AuditVerifier.Report report = AuditVerifier.verify(home.resolve("audit"), r -> {});
    assertTrue(report.ok(), report.problems().toString());
    List<JsonNode> lines = adminLines();
    JsonNode activate =
        lines.stream().filter(n -> n.path("role").asText().equals("engineer")).findFirst().get();
    assertEquals("/models/activate", activate.path("path").asText());
    assertEquals("demo", activate.path("params").path("name").asText());
    assertEquals("9", activate.path("params").path("version").asText());
    assertEquals("127.0.0.1", activate.path("remote").asText());
    assertTrue(activate.path("doneUs").asLong() >= activate.path("atUs").asLong());
    long forbidden =
        lines.stream().filter(n -> n.path("outcome").asText().equals("FORBIDDEN")).count();
    long one =
        lines.stream().filter(n -> n.path("outcome").asText().equals("UNAUTHENTICATED")).count();
    long counted =
        lines.stream()
            .filter(n -> n.path("type").asText().equals("admin-refused"))
            .mapToLong(n -> n.path("refused").asLong())
            .sum();
    // 2 forbidden + 3 unauthenticated before the flood + 40 guesses: each written or counted,
    // at most REFUSALS_BURST one by one.
    assertEquals(2 + 3 + refusals, forbidden + one + counted, lines.toString());
    assertTrue(forbidden + one <= AuditLog.REFUSALS_BURST + 1, lines.toString());
    assertTrue(counted > 0);
    assertTrue(lines.stream().noneMatch(n -> n.toString().contains("guess-")), "no credential");
  }

  @Test
  void shouldNeedAViewerForProbesWhenReadsAreClosed() throws Exception {
    try (InspectionService s = new InspectionService(config("nowhere", null), home)) {
      s.start();
      assertEquals(401, call(HTTP, "http", s.adminPort(), "GET", "/health", null));
      assertEquals(200, call(HTTP, "http", s.adminPort(), "GET", "/health", token("viewer")));
    }
  }

  @Test
  void shouldServeHttpsWithTheRightCertificateAndRefusePlainHttp() throws Exception {
    Files.copy(TLS.resolve("server.pem"), home.resolve("server.pem"));
    Files.copy(TLS.resolve("server.key"), home.resolve("server.key"));
    HttpClient trusting =
        HttpClient.newBuilder()
            .sslContext(PemTls.context(null, PemTls.certificates("ca", TLS.resolve("ca.pem"))))
            .build();
    try (InspectionService s =
        new InspectionService(
            config("loopback", AdminTlsConfig.of("server.pem", "server.key")), home)) {
      s.start();
      int port = s.adminPort();
      assertEquals(200, call(trusting, "https", port, "GET", "/health", null));
      // The JDK's default trust does not know the line's CA.
      assertThrows(IOException.class, () -> call(HTTP, "https", port, "GET", "/health", null));
      // Plain HTTP to the HTTPS port: no answer in clear, the connection is closed.
      assertThrows(IOException.class, () -> call(HTTP, "http", port, "GET", "/health", null));
      assertEquals(200, call(trusting, "https", port, "GET", "/models/status", token("viewer")));
      // `bin/inspect models` over HTTPS: trusting the line's CA (--ca), or refused with a reason.
      Path line = home.resolve("line.yaml");
      Files.writeString(line, "line: {name: t, budgetMs: 50}\ninference: {backend: builtin}\n");
      String url = "https://127.0.0.1:" + port;
      String[] common = {"--config", line.toString(), "--url", url, "--token", token("viewer")};
      java.io.PrintStream old = System.out;
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      int trusted;
      int untrusted;
      try {
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        trusted =
            new picocli.CommandLine(new io.lineinspect.app.cli.ModelsCommand())
                .execute(
                    concat(
                        new String[] {"status", "--ca", TLS.resolve("ca.pem").toString()}, common));
        untrusted =
            new picocli.CommandLine(new io.lineinspect.app.cli.ModelsCommand())
                .execute(concat(new String[] {"status"}, common));
      } finally {
        System.setOut(old);
      }
      assertEquals(0, trusted, out.toString());
      assertTrue(out.toString().contains("\"served\""), out.toString());
      assertTrue(untrusted != 0, "the JDK's trust store does not know the line's CA");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  void shouldRefuseMissingFilesAndSharedTokens() throws Exception {
    Files.writeString(home.resolve("a.token"), "same-token-0123456789\n");
    ConfigException shared =
        assertThrows(
            ConfigException.class,
            () ->
                AdminAuth.of(
                    new AdminConfig(true, null, 0).withRoleFiles("a.token", "a.token", null),
                    home));
    assertTrue(shared.getMessage().contains("operator"), shared.getMessage());
    assertFalse(shared.getMessage().contains("same-token"), shared.getMessage());
    ConfigException missing =
        assertThrows(
            ConfigException.class,
            () ->
                new InspectionService(
                        config("loopback", AdminTlsConfig.of("nope.pem", "nope.key")), home)
                    .start());
    assertTrue(
        missing.getMessage().startsWith("admin.tls.certFile: cannot read"), missing.getMessage());
  }

  @Test
  void shouldMapCredentialsToRolesInConstantTimeAndDecide401Or403() {
    AdminAuth auth =
        new AdminAuth(
            Map.of(
                Role.ENGINEER, "engineer-0123456789",
                Role.OPERATOR, "operator-0123456789",
                Role.VIEWER, "viewer-0123456789"),
            "loopback");
    InetAddress far = InetAddress.getLoopbackAddress();
    assertEquals(Role.OPERATOR, auth.authenticate("Bearer operator-0123456789"));
    assertNull(auth.authenticate("Bearer operator-012345678"));
    assertNull(auth.authenticate("Basic operator-0123456789"));
    assertNull(auth.authenticate("operator-0123456789"));
    assertEquals(
        AdminAuth.Decision.ALLOWED,
        auth.check("Bearer operator-0123456789", far, Role.OPERATOR, false).decision());
    assertEquals(
        AdminAuth.Decision.FORBIDDEN,
        auth.check("Bearer operator-0123456789", far, Role.ENGINEER, false).decision());
    assertEquals(
        AdminAuth.Decision.UNAUTHENTICATED, auth.check(null, far, Role.VIEWER, false).decision());
    assertEquals(AdminAuth.Decision.ALLOWED, auth.check(null, far, Role.VIEWER, true).decision());
  }
}
