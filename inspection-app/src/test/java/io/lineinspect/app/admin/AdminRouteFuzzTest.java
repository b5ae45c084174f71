package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the admin endpoint's request routing ({@link AdminServer#route}): any method and
 * raw path routes to a handler only when the pair is one of the documented ones, written exactly
 * (docs/operations.md, docs/models.md); a path with {@code ..}, a percent-escape, a suffix or a
 * doubled slash never reaches a handler; nothing throws. The default test run replays {@code
 * src/test/resources/io/lineinspect/app/admin/AdminRouteFuzzTestInputs/<method>/}; {@code
 * JAZZER_FUZZ=1 ./mvnw -pl inspection-app -am test -Dtest=AdminRouteFuzzTest} fuzzes.
 */
class AdminRouteFuzzTest {
  private static final Map<String, AdminServer.Route> DOCUMENTED =
      Map.of(
          "GET /metrics", AdminServer.Route.METRICS,
          "GET /health", AdminServer.Route.HEALTH,
          "GET /ready", AdminServer.Route.READY,
          "GET /models", AdminServer.Route.MODELS_LIST,
          "GET /models/", AdminServer.Route.MODELS_LIST,
          "GET /models/status", AdminServer.Route.MODELS_STATUS,
          "POST /models/activate", AdminServer.Route.MODELS_ACTIVATE,
          "POST /models/rollback", AdminServer.Route.MODELS_ROLLBACK,
          "POST /models/shadow", AdminServer.Route.MODELS_SHADOW_START,
          "DELETE /models/shadow", AdminServer.Route.MODELS_SHADOW_STOP);

  private static final Set<String> PATHS =
      Set.of(
          "/metrics",
          "/health",
          "/ready",
          "/models",
          "/models/",
          "/models/status",
          "/models/activate",
          "/models/rollback",
          "/models/shadow");

  /** Input: the method, then the raw path (Jazzer's structured data). */
  @FuzzTest(maxDuration = "60s")
  void onlyDocumentedRequestsAreRouted(FuzzedDataProvider data) {
    String method = data.consumeString(12);
    String path = data.consumeRemainingAsString();
    check(method, path);
    // The same path behind every documented method, and behind documented prefixes.
    for (String m : new String[] {"GET", "POST", "DELETE"}) {
      check(m, path);
      check(m, "/metrics" + path);
      check(m, "/models" + path);
      check(m, "/health/" + path);
    }
  }

  private static void check(String method, String path) {
    AdminServer.Route r = AdminServer.route(method, path);
    AdminServer.Route documented = DOCUMENTED.get(method + " " + path);
    if (documented != null) {
      assertEquals(documented, r, method + " " + path);
    } else if (PATHS.contains(path)) {
      assertEquals(AdminServer.Route.METHOD_NOT_ALLOWED, r, method + " " + path);
    } else {
      assertEquals(AdminServer.Route.NOT_FOUND, r, method + " " + path);
    }
    if (path.contains("..") || path.contains("%") || path.contains("//")) {
      assertTrue(
          r == AdminServer.Route.NOT_FOUND, "never routed: " + method + " " + path + " -> " + r);
    }
    String p = AdminServer.printable(path);
    assertTrue(p.length() <= 80 && p.chars().allMatch(c -> c >= 0x20 && c < 0x7F), p);
  }

  @Test
  void shouldRouteNothingButTheDocumentedRequests() {
    DOCUMENTED.forEach(
        (k, v) -> assertEquals(v, AdminServer.route(k.split(" ")[0], k.split(" ")[1]), k));
    for (String path :
        new String[] {
          "/healthz",
          "/metrics/",
          "/metricsfoo",
          "/health/../models/activate",
          "/models/%2e%2e/metrics",
          "/models/status/",
          "/models//status",
          "/models/status;x",
          "/MODELS",
          "",
          "/",
          "*"
        }) {
      assertEquals(AdminServer.Route.NOT_FOUND, AdminServer.route("GET", path), path);
    }
    assertEquals(AdminServer.Route.METHOD_NOT_ALLOWED, AdminServer.route("POST", "/metrics"));
    assertEquals(AdminServer.Route.METHOD_NOT_ALLOWED, AdminServer.route("get", "/health"));
    assertEquals(
        AdminServer.Route.METHOD_NOT_ALLOWED, AdminServer.route("GET", "/models/activate"));
    assertEquals(AdminServer.Route.NOT_FOUND, AdminServer.route(null, "/health"));
    assertEquals(AdminServer.Route.NOT_FOUND, AdminServer.route("GET", null));
  }
}
