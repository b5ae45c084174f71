package io.lineinspect.app.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lineinspect.app.InspectionService;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.model.ShadowRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin endpoint (JDK HTTP server, one thread, bound to loopback by default):
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4, rendered by {@link ServiceMetrics} from
 *       the service's counters at scrape time (nothing is recorded twice);
 *   <li>{@code GET /health}: 200 while the process serves; 503 once it is stopping;
 *   <li>{@code GET /ready}: 200 only once the model is loaded and warmed up and cameras are
 *       accepted, else 503;
 *   <li>{@code /models...}: the model lifecycle ({@code docs/models.md}), only with {@code
 *       Authorization: Bearer <token>} ({@link AdminToken}): {@code GET /models} (served version,
 *       rollback target, registry), {@code POST /models/activate} with {@code
 *       {"name":…,"version":…}}, {@code POST /models/rollback}, {@code GET /models/status}, {@code
 *       POST /models/shadow} (same body) and {@code DELETE /models/shadow}.
 * </ul>
 *
 * Every metric is listed in {@code docs/operations.md}.
 */
public final class AdminServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 4096;

  private final InspectionService service;
  private final HttpServer http;
  private final String token;
  private final ServiceMetrics metrics;
  private final java.util.concurrent.ExecutorService executor;
  private volatile boolean stopping;

  /**
   * @param token the secret {@code /models} requests must carry
   */
  public AdminServer(InspectionService service, AdminConfig config, String token)
      throws IOException {
    this.service = service;
    this.token = token;
    this.metrics = new ServiceMetrics(service, models(service));
    limitClients();
    http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 16);
    // Several threads: a model activation takes seconds and must not hold up /metrics scrapes.
    // One per allowed connection, so slow clients (dropped after MAX_REQUEST_SECONDS) never queue
    // a /health request behind them.
    AtomicInteger threads = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            MAX_CONNECTIONS,
            r -> {
              Thread t = new Thread(r, "admin-http-" + threads.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
    http.setExecutor(executor);
    http.createContext("/models", this::models);
    http.createContext("/metrics", this::metrics);
    http.createContext("/health", this::health);
    http.createContext(
        "/ready",
        ex -> {
          List<String> problems = service.health().problems();
          boolean ready = !stopping && service.ready() && problems.isEmpty();
          text(
              ex,
              ready ? 200 : 503,
              ready
                  ? "ready\n"
                  : !problems.isEmpty()
                      ? "not ready: unhealthy: " + String.join("; ", problems) + "\n"
                      : "not ready (warming up or stopping)\n");
        });
    http.start();
  }

  /** Connections the admin endpoint keeps open at once; more are closed at accept. */
  static final int MAX_CONNECTIONS = 16;

  /** Seconds a client may take to send its request; a slower one is disconnected. */
  static final int MAX_REQUEST_SECONDS = 2;

  /**
   * The JDK server's own limits (read once, when its first server is created): a connection cap and
   * a request read timeout, so that slow or idle clients cannot make {@code /health} time out. A
   * {@code -D} given on the command line wins.
   */
  private static void limitClients() {
    if (System.getProperty("jdk.httpserver.maxConnections") == null) {
      System.setProperty("jdk.httpserver.maxConnections", String.valueOf(MAX_CONNECTIONS));
    }
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS));
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  /**
   * {@code /health}: 200 "ok" while every stage thread runs and makes progress; 503 with one line
   * per problem ("unhealthy: infer-0: thread is not running") when any stage is dead, stalled or
   * failed, or a health condition is active; 503 "stopping" once the service stops.
   */
  private void health(HttpExchange ex) throws IOException {
    if (stopping) {
      text(ex, 503, "stopping\n");
      return;
    }
    List<String> problems = service.health().problems();
    if (problems.isEmpty()) {
      text(ex, 200, "ok\n");
      return;
    }
    StringBuilder b = new StringBuilder();
    for (String p : problems) {
      b.append("unhealthy: ").append(p).append('\n');
    }
    text(ex, 503, b.toString());
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Map<String, Object> error(String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    return m;
  }

  /** {@code /models...}: authorised, then routed by method and path. */
  private void models(HttpExchange ex) throws IOException {
    try (ex) {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String presented =
          auth != null && auth.startsWith("Bearer ") ? auth.substring(7).strip() : null;
      if (!AdminToken.matches(token, presented)) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        json(
            ex,
            401,
            error(
                presented == null
                    ? "model changes need 'Authorization: Bearer <token>' (admin.token or the"
                        + " content of admin.tokenFile)"
                    : "wrong token"));
        return;
      }
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      ModelLifecycle lifecycle = service.models();
      switch (method + " " + path) {
        case "GET /models", "GET /models/" -> json(ex, 200, listing(lifecycle));
        case "GET /models/status" -> json(ex, 200, lifecycle.status());
        case "POST /models/activate" -> {
          String[] nv = nameAndVersion(ex);
          if (nv != null) {
            ModelLifecycle.Result r = lifecycle.activate(nv[0], nv[1]);
            json(ex, r.outcome().httpStatus, r);
          }
        }
        case "POST /models/rollback" -> {
          ModelLifecycle.Result r = lifecycle.rollback();
          json(ex, r.outcome().httpStatus, r);
        }
        case "POST /models/shadow" -> {
          String[] nv = nameAndVersion(ex);
          if (nv != null) {
            ModelLifecycle.Result r = lifecycle.startShadow(nv[0], nv[1]);
            json(ex, r.outcome().httpStatus, r);
          }
        }
        case "DELETE /models/shadow" -> {
          ModelLifecycle.Result r = lifecycle.stopShadow();
          json(ex, r.outcome().httpStatus, r);
        }
        default ->
            json(
                ex,
                404,
                error(
                    "no such model operation: "
                        + method
                        + " "
                        + path
                        + " (GET /models, GET /models/status, POST /models/activate, POST"
                        + " /models/rollback, POST /models/shadow, DELETE /models/shadow)"));
      }
    } catch (RuntimeException e) {
      json(ex, 500, error("internal error: " + e));
    }
  }

  private static Map<String, Object> listing(ModelLifecycle lifecycle) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>(lifecycle.status());
    try {
      m.put("registry", lifecycle.registryListing());
    } catch (IOException e) {
      m.put("registry", error(e.getMessage()));
    }
    return m;
  }

  /** {@code {"name": …, "version": …}} from the body, or null after answering 400. */
  private static String[] nameAndVersion(HttpExchange ex) throws IOException {
    JsonNode body = body(ex);
    if (body == null) {
      return null;
    }
    String name = text(body, "name");
    String version = text(body, "version");
    if (name == null || version == null) {
      json(ex, 400, error("the body must be {\"name\": \"…\", \"version\": \"…\"}"));
      return null;
    }
    return new String[] {name, version};
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  /** The request's JSON body, or null after answering 400. */
  private static JsonNode body(HttpExchange ex) throws IOException {
    byte[] bytes = ex.getRequestBody().readNBytes(MAX_BODY + 1);
    if (bytes.length > MAX_BODY) {
      json(ex, 413, error("request body larger than " + MAX_BODY + " bytes"));
      return null;
    }
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject()) {
        json(ex, 400, error("the body must be a JSON object"));
        return null;
      }
      return n;
    } catch (IOException e) {
      json(ex, 400, error("the body is not JSON: " + e.getMessage()));
      return null;
    }
  }

  private void metrics(HttpExchange ex) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream(32 * 1024);
    metrics.write(body);
    ex.getResponseHeaders().set("Content-Type", ServiceMetrics.CONTENT_TYPE);
    ex.sendResponseHeaders(200, body.size());
    try (OutputStream out = ex.getResponseBody()) {
      body.writeTo(out);
    }
  }

  /** What the metrics read of the model lifecycle and the start-up gate (package-private here). */
  private static ServiceMetrics.Models models(InspectionService service) {
    return new ServiceMetrics.Models() {
      @Override
      public long switches() {
        return service.models().switches();
      }

      @Override
      public long refusals() {
        return service.models().refusals();
      }

      @Override
      public ShadowRunner shadow() {
        return service.models().shadow();
      }

      @Override
      public ServiceMetrics.StartupGate startupGate() {
        InspectionService.StartupGate g = service.startupGate();
        return g == null
            ? null
            : new ServiceMetrics.StartupGate(g.model(), g.correct(), g.total(), g.millis());
      }

      @Override
      public long outputErrors() {
        InferenceBackend b = service.servedBackend();
        return b == null ? -1 : b.outputErrors();
      }
    };
  }

  public void stopping() {
    stopping = true;
  }

  @Override
  public void close() {
    stopping = true;
    http.stop(0);
    executor.shutdownNow();
  }
}
