package io.lineinspect.app.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.dashboard.Dashboard;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.AdminTlsConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.model.ShadowRunner;
import io.lineinspect.core.tls.PemTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The admin endpoint (JDK HTTP server, one thread, bound to loopback by default):
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4, rendered by {@link ServiceMetrics} from
 *       the service's counters at scrape time (nothing is recorded twice);
 *   <li>{@code GET /health}: 200 while the process serves; 503 once it is stopping;
 *   <li>{@code GET /ready}: 200 only once the model is loaded and warmed up and cameras are
 *       accepted, else 503;
 *   <li>{@code /models...}: the model lifecycle ({@code docs/models.md}), only with a credential
 *       ({@link AdminAuth}; reads: viewer, changes: engineer): {@code GET /models} (served version,
 *       rollback target, registry), {@code POST /models/activate} with {@code
 *       {"name":…,"version":…}}, {@code POST /models/rollback}, {@code GET /models/status}, {@code
 *       POST /models/shadow} (same body) and {@code DELETE /models/shadow};
 *   <li>{@code /dashboard...}: the operator dashboard ({@link Dashboard}, {@code
 *       docs/dashboard.md}): its route's role is checked here like every route's, its writes
 *       (labels, alarm acknowledgements, shift reset: operator) audited here like model operations.
 * </ul>
 *
 * Every route needs a {@link Role} ({@link Route#required}), checked by {@link AdminAuth} before
 * anything else: a wrong or missing credential is 401, a role too low 403. Every change (a model
 * operation) and every refusal is recorded in the audit chain ({@link
 * io.lineinspect.core.audit.AuditLog#adminAction}). With {@code admin.tls} the endpoint speaks
 * HTTPS only. Every metric is listed in {@code docs/operations.md}.
 */
public final class AdminServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
  // A body naming a key twice is ambiguous: refused (400), not "last wins".
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  static final int MAX_BODY = 4096;

  private final InspectionService service;
  private final HttpServer http;
  private final AdminAuth auth;
  private final java.util.concurrent.atomic.AtomicLong refusedCount =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong forbiddenCount =
      new java.util.concurrent.atomic.AtomicLong();
  private final ServiceMetrics metrics;
  private final java.util.concurrent.ExecutorService executor;
  private volatile boolean stopping;

  /**
   * Reads the role credentials ({@link AdminAuth#of}) and, with {@code admin.tls}, the certificate
   * and key, then serves.
   *
   * @param home the install directory: relative credential and TLS files resolve here
   * @throws io.lineinspect.core.config.ConfigException naming the key of a file that cannot be read
   *     or is invalid
   */
  public AdminServer(InspectionService service, AdminConfig config, Path home) throws IOException {
    this.service = service;
    this.auth = AdminAuth.of(config, home);
    this.metrics = new ServiceMetrics(service, models(service));
    metrics.registerAdminRefusals(() -> refused() - forbidden(), this::forbidden);
    limitClients();
    http = create(config, home);
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
    // One context for every path: the JDK matches contexts by prefix ("/health" would also serve
    // "/healthz" and "/health/../models/activate"); route() matches whole paths only.
    http.createContext("/", this::dispatch);
    http.start();
  }

  /** An HTTP or, with {@code admin.tls}, HTTPS server on the configured address. */
  private static HttpServer create(AdminConfig config, Path home) throws IOException {
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    AdminTlsConfig tls = config.tls();
    if (!tls.enabled()) {
      return HttpServer.create(address, 16);
    }
    PemTls.Identity id =
        PemTls.serverIdentity(
            "admin.tls",
            home.resolve(tls.certFile()),
            home.resolve(tls.keyFile()),
            "admin clients");
    SSLContext context = PemTls.context(id, null);
    String[] protocols = tls.protocols().toArray(String[]::new);
    HttpsServer https = HttpsServer.create(address, 16);
    https.setHttpsConfigurator(
        new HttpsConfigurator(context) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = getSSLContext().getDefaultSSLParameters();
            p.setProtocols(protocols);
            p.setNeedClientAuth(false);
            params.setSSLParameters(p);
          }
        });
    LOG.log(
        Level.INFO,
        "admin: HTTPS ({0}), certificate {1}",
        String.join("/", protocols),
        id.leaf().getSubjectX500Principal().getName());
    return https;
  }

  /**
   * What a request is routed to ({@link #route}), and the role it needs: reads need {@link
   * Role#VIEWER} (the monitoring probes without a credential where {@code admin.openReads} opens
   * them), model operations {@link Role#ENGINEER}.
   */
  enum Route {
    METRICS(Role.VIEWER, true, false),
    HEALTH(Role.VIEWER, true, false),
    READY(Role.VIEWER, true, false),
    MODELS_LIST(Role.VIEWER, false, false),
    MODELS_STATUS(Role.VIEWER, false, false),
    MODELS_ACTIVATE(Role.ENGINEER, false, true),
    MODELS_ROLLBACK(Role.ENGINEER, false, true),
    MODELS_SHADOW_START(Role.ENGINEER, false, true),
    MODELS_SHADOW_STOP(Role.ENGINEER, false, true),
    /** A documented path, another method: 405. */
    METHOD_NOT_ALLOWED(null, false, false),
    /** Anything else: 404. */
    NOT_FOUND(null, false, false);

    /** The role a request needs (null: none, the answer is 404 or 405). */
    final Role required;

    /** A monitoring probe: {@code admin.openReads} may serve it without a credential. */
    final boolean openRead;

    /** A change: audited. */
    final boolean write;

    Route(Role required, boolean openRead, boolean write) {
      this.required = required;
      this.openRead = openRead;
      this.write = write;
    }

    /** Whether the route is a model operation (under {@code /models}). */
    boolean modelOperation() {
      return name().startsWith("MODELS_");
    }
  }

  /** The documented requests: method and path, exactly. */
  private static final Map<String, Route> ROUTES =
      Map.of(
          "GET /metrics", Route.METRICS,
          "GET /health", Route.HEALTH,
          "GET /ready", Route.READY,
          "GET /models", Route.MODELS_LIST,
          "GET /models/", Route.MODELS_LIST,
          "GET /models/status", Route.MODELS_STATUS,
          "POST /models/activate", Route.MODELS_ACTIVATE,
          "POST /models/rollback", Route.MODELS_ROLLBACK,
          "POST /models/shadow", Route.MODELS_SHADOW_START,
          "DELETE /models/shadow", Route.MODELS_SHADOW_STOP);

  private static final java.util.Set<String> PATHS =
      ROUTES.keySet().stream()
          .map(k -> k.substring(k.indexOf(' ') + 1))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /**
   * Routes a request by its method and its <em>raw</em> path (as sent, before percent-decoding, no
   * query): only the documented pairs are routed, compared whole, so no spelling of a path ({@code
   * ..}, {@code %2e%2e}, {@code //}, {@code ;}, a suffix) reaches another handler. Any strings,
   * null included; never throws.
   */
  static Route route(String method, String rawPath) {
    if (method == null || rawPath == null) {
      return Route.NOT_FOUND;
    }
    Route r = ROUTES.get(method + " " + rawPath);
    if (r != null) {
      return r;
    }
    return PATHS.contains(rawPath) ? Route.METHOD_NOT_ALLOWED : Route.NOT_FOUND;
  }

  /** Every request: routed by {@link #route}, its role checked, then answered by its handler. */
  private void dispatch(HttpExchange ex) throws IOException {
    try (ex) {
      long atUs = RejectScheduler.systemEpochMicros();
      String rawPath = ex.getRequestURI().getRawPath();
      if (service.dashboard() != null && Dashboard.owns(rawPath)) {
        dashboard(ex, rawPath, atUs);
        return;
      }
      Route r = route(ex.getRequestMethod(), rawPath);
      // Anything under /models needs a credential first, so a stranger learns nothing of it.
      boolean models = r.modelOperation() || (rawPath != null && rawPath.startsWith("/models"));
      Role required = r.required != null ? r.required : models ? Role.VIEWER : null;
      Role role = null;
      if (required != null) {
        AdminAuth.Access a =
            auth.check(
                ex.getRequestHeaders().getFirst("Authorization"),
                ex.getRemoteAddress().getAddress(),
                required,
                r.openRead);
        if (a.decision() != AdminAuth.Decision.ALLOWED) {
          refuse(ex, a, required, atUs);
          return;
        }
        role = a.role();
      }
      if (models) {
        models(ex, r, role, atUs);
        return;
      }
      switch (r) {
        case METRICS -> metrics(ex);
        case HEALTH -> health(ex);
        case READY -> ready(ex);
        case METHOD_NOT_ALLOWED -> {
          ex.getResponseHeaders().set("Allow", allowed(rawPath));
          text(ex, 405, "method " + printable(ex.getRequestMethod()) + " not allowed\n");
        }
        default -> text(ex, 404, "not found (GET /metrics, GET /health, GET /ready, /models)\n");
      }
    }
  }

  /** The methods documented for {@code path}, for the {@code Allow} header of a 405. */
  private static String allowed(String path) {
    return ROUTES.keySet().stream()
        .filter(k -> k.endsWith(" " + path))
        .map(k -> k.substring(0, k.indexOf(' ')))
        .sorted()
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** At most 80 characters of {@code s}, anything outside printable ASCII as '?'. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; s != null && i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }

  private void ready(HttpExchange ex) throws IOException {
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

  /**
   * Answers a request {@link AdminAuth} refused: 401 (with {@code WWW-Authenticate}) or 403; logs
   * it (the 1st, 2nd, 4th, … refusal) and records it in the audit chain (rate-limited there).
   */
  private void refuse(HttpExchange ex, AdminAuth.Access a, Role required, long atUs)
      throws IOException {
    boolean forbidden = a.decision() == AdminAuth.Decision.FORBIDDEN;
    String path = printable(ex.getRequestURI().getRawPath());
    if (forbidden) {
      json(
          ex,
          403,
          error(
              "this needs the "
                  + required.label()
                  + " role; the credential presented is the "
                  + a.role().label()
                  + "'s"));
    } else {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      boolean none = ex.getRequestHeaders().getFirst("Authorization") == null;
      json(
          ex,
          401,
          error(
              none
                  ? "this needs 'Authorization: Bearer <token>' of the "
                      + required.label()
                      + " role or higher (docs/security.md#admin-roles)"
                  : "wrong token"));
    }
    long n = refusedCount.incrementAndGet();
    if (forbidden) {
      forbiddenCount.incrementAndGet();
    }
    if (Long.bitCount(n) == 1) {
      LOG.log(
          Level.WARNING,
          "admin: refused {0} {1} from {2}: {3} ({4} refusal(s) since start)",
          printable(ex.getRequestMethod()),
          path,
          remote(ex),
          forbidden
              ? "the " + a.role().label() + " role may not (needs " + required.label() + ")"
              : "wrong or missing credential",
          String.valueOf(n));
    }
    audit(ex, a.role(), Map.of(), forbidden ? "FORBIDDEN" : "UNAUTHENTICATED", atUs);
  }

  /** Refused requests since start (401 and 403). */
  public long refused() {
    return refusedCount.get();
  }

  /** Refused requests since start with a valid credential of too low a role (403). */
  public long forbidden() {
    return forbiddenCount.get();
  }

  private static String remote(HttpExchange ex) {
    InetSocketAddress r = ex.getRemoteAddress();
    return r == null || r.getAddress() == null ? "?" : r.getAddress().getHostAddress();
  }

  /** Records an answered request in the audit chain (when the service keeps one). */
  private void audit(
      HttpExchange ex, Role role, Map<String, String> params, String outcome, long atUs) {
    AuditLog audit = service.audit();
    int status = ex.getResponseCode();
    AuditLog.AdminAction action =
        new AuditLog.AdminAction(
            role == null ? null : role.label(),
            remote(ex),
            printable(ex.getRequestMethod()),
            printable(ex.getRequestURI().getRawPath()),
            params,
            status,
            outcome,
            atUs,
            RejectScheduler.systemEpochMicros());
    if (!action.refused()) {
      LOG.log(
          Level.INFO,
          "admin: {0} {1}{2} by the {3} from {4}: {5} {6}",
          action.method(),
          action.path(),
          params.isEmpty() ? "" : " " + params,
          action.role(),
          action.remote(),
          String.valueOf(status),
          outcome);
    }
    if (audit != null) {
      audit.adminAction(action);
    }
  }

  /**
   * {@code /dashboard...} ({@link Dashboard}): the role its route needs checked here, like every
   * route's, then answered by the dashboard; its writes audited here like model operations.
   */
  private void dashboard(HttpExchange ex, String rawPath, long atUs) throws IOException {
    Dashboard d = service.dashboard();
    Dashboard.Route r = Dashboard.route(ex.getRequestMethod(), rawPath);
    Role role = null;
    if (r.required() != null) {
      AdminAuth.Access a =
          auth.check(
              ex.getRequestHeaders().getFirst("Authorization"),
              ex.getRemoteAddress().getAddress(),
              r.required(),
              r.openRead());
      if (a.decision() != AdminAuth.Decision.ALLOWED) {
        refuse(ex, a, r.required(), atUs);
        return;
      }
      role = a.role();
    }
    Map<String, String> params = new LinkedHashMap<>();
    String outcome = "INTERNAL_ERROR";
    try {
      outcome = d.handle(ex, r, role, remote(ex), params);
    } catch (RuntimeException e) {
      json(ex, 500, error("internal error: " + e));
    } finally {
      if (r.write()) {
        audit(ex, role, params, outcome, atUs);
      }
    }
  }

  /** {@code /models...}, the role checked: answered by its {@link #route route}. */
  private void models(HttpExchange ex, Route route, Role role, long atUs) throws IOException {
    Map<String, String> params = new LinkedHashMap<>();
    String outcome = "INTERNAL_ERROR";
    try {
      ModelLifecycle lifecycle = service.models();
      switch (route) {
        case MODELS_LIST -> json(ex, 200, listing(lifecycle));
        case MODELS_STATUS -> json(ex, 200, lifecycle.status());
        case MODELS_ACTIVATE -> {
          outcome = "BAD_REQUEST";
          String[] nv = nameAndVersion(ex, params);
          if (nv != null) {
            outcome = answer(ex, lifecycle.activate(nv[0], nv[1]));
          }
        }
        case MODELS_ROLLBACK -> outcome = answer(ex, lifecycle.rollback());
        case MODELS_SHADOW_START -> {
          outcome = "BAD_REQUEST";
          String[] nv = nameAndVersion(ex, params);
          if (nv != null) {
            outcome = answer(ex, lifecycle.startShadow(nv[0], nv[1]));
          }
        }
        case MODELS_SHADOW_STOP -> outcome = answer(ex, lifecycle.stopShadow());
        default ->
            json(
                ex,
                route == Route.METHOD_NOT_ALLOWED ? 405 : 404,
                error(
                    "no such model operation: "
                        + printable(ex.getRequestMethod())
                        + " "
                        + printable(ex.getRequestURI().getRawPath())
                        + " (GET /models, GET /models/status, POST /models/activate, POST"
                        + " /models/rollback, POST /models/shadow, DELETE /models/shadow)"));
      }
    } catch (RuntimeException e) {
      json(ex, 500, error("internal error: " + e));
    } finally {
      if (route.write) {
        audit(ex, role, params, outcome, atUs);
      }
    }
  }

  /** Answers a model operation's result; returns its outcome's name. */
  private static String answer(HttpExchange ex, ModelLifecycle.Result r) throws IOException {
    json(ex, r.outcome().httpStatus, r);
    return r.outcome().name();
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

  /**
   * {@code {"name": …, "version": …}} from the body (each also put into {@code params}, for the
   * audit, as far as given), or null after answering 413 or 400.
   */
  private static String[] nameAndVersion(HttpExchange ex, Map<String, String> params)
      throws IOException {
    NameAndVersion b = parseNameAndVersion(ex.getRequestBody().readNBytes(MAX_BODY + 1));
    if (b.name() != null) {
      params.put("name", printable(b.name()));
    }
    if (b.version() != null) {
      params.put("version", printable(b.version()));
    }
    if (b.error() != null) {
      json(ex, b.status(), error(b.error()));
      return null;
    }
    return new String[] {b.name(), b.version()};
  }

  /**
   * What a request body of {@code {"name": "…", "version": "…"}} says: both strings and no error,
   * or the status (413, 400) and error to answer, with whichever of the two strings it did carry.
   */
  record NameAndVersion(String name, String version, int status, String error) {}

  /** Parses a model request's body (at most {@link #MAX_BODY} bytes; never throws). */
  static NameAndVersion parseNameAndVersion(byte[] bytes) {
    if (bytes.length > MAX_BODY) {
      return new NameAndVersion(null, null, 413, "request body larger than " + MAX_BODY + " bytes");
    }
    JsonNode n;
    try {
      n = JSON.readTree(bytes);
    } catch (IOException e) {
      String why = String.valueOf(e.getMessage());
      int nl = why.indexOf('\n');
      return new NameAndVersion(
          null, null, 400, "the body is not JSON: " + (nl < 0 ? why : why.substring(0, nl)));
    }
    if (n == null || !n.isObject()) {
      return new NameAndVersion(null, null, 400, "the body must be a JSON object");
    }
    String name = text(n, "name");
    String version = text(n, "version");
    if (name == null || version == null) {
      return new NameAndVersion(
          name, version, 400, "the body must be {\"name\": \"…\", \"version\": \"…\"}");
    }
    return new NameAndVersion(name, version, 200, null);
  }

  /** A field that is a JSON string, or null (absent, null, a number, an object …). */
  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n != null && n.isTextual() ? n.textValue() : null;
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
    if (service.dashboard() != null) {
      service.dashboard().stopping();
    }
  }

  @Override
  public void close() {
    stopping = true;
    http.stop(0);
    executor.shutdownNow();
  }
}
