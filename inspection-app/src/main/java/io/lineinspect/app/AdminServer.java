package io.lineinspect.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lineinspect.camera.ingest.IngestMetrics;
import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.model.ShadowRunner;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.inference.djl.DjlBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin endpoint (JDK HTTP server, one thread, bound to loopback by default):
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4, read from the service's counters at
 *       scrape time (nothing is recorded twice);
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
final class AdminServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 4096;

  private final InspectionService service;
  private final HttpServer http;
  private final String token;
  private final java.util.concurrent.ExecutorService executor;
  private volatile boolean stopping;

  /**
   * @param token the secret {@code /models} requests must carry
   */
  AdminServer(InspectionService service, AdminConfig config, String token) throws IOException {
    this.service = service;
    this.token = token;
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

  int port() {
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
    text(ex, 200, render(service));
  }

  /** Health, stage errors, isolated-listener errors and ingest error counters. */
  private static void health(StringBuilder b, InspectionService service, IngestMetrics in) {
    List<String> problems = service.health().problems();
    header(b, "inspection_healthy", "gauge", "1 while every stage runs (see /health)");
    b.append("inspection_healthy ").append(problems.isEmpty() ? 1 : 0).append('\n');
    header(b, "inspection_stage_up", "gauge", "1 while the stage thread runs and makes progress");
    long now = System.nanoTime();
    for (Stage st : service.health().stages()) {
      sample(b, "inspection_stage_up", st.problem(now) == null ? 1 : 0, "stage", st.name());
    }
    header(
        b,
        "inspection_stage_errors_total",
        "counter",
        "unexpected errors a stage loop caught and continued after");
    for (Stage st : service.health().stages()) {
      sample(b, "inspection_stage_errors_total", st.errors(), "stage", st.name());
    }
    header(
        b,
        "inspection_listener_errors_total",
        "counter",
        "exceptions thrown by a verdict listener (isolated: the verdict still went on)");
    service
        .pipeline()
        .listenerErrors()
        .forEach((name, n) -> sample(b, "inspection_listener_errors_total", n, "listener", name));
    header(
        b,
        "inspection_invalid_scores_total",
        "counter",
        "frames failed safe INFERENCE_ERROR: the model's score was NaN, infinite or outside [0, 1]");
    b.append("inspection_invalid_scores_total ")
        .append(service.pipeline().metrics().invalidScores())
        .append('\n');
    header(
        b,
        "inspection_translator_errors_total",
        "counter",
        "frames that could not be copied into the ring (failed safe BAD_IMAGE)");
    b.append("inspection_translator_errors_total ")
        .append(service.pipeline().translatorErrors())
        .append('\n');
    header(
        b,
        "inspection_encoded_refused_total",
        "counter",
        "JPEG/PNG payloads refused as BAD_IMAGE before decoding (partial or corrupt), by cause");
    for (PixelFormat f : new PixelFormat[] {PixelFormat.JPEG, PixelFormat.PNG}) {
      for (EncodedImageCheck.Cause c : EncodedImageCheck.Cause.values()) {
        sample(
            b,
            "inspection_encoded_refused_total",
            service.pipeline().metrics().encodedRefused(f, c),
            "format",
            f.name(),
            "cause",
            c.name());
      }
    }
    header(
        b,
        "inspection_ingest_errors_total",
        "counter",
        "protocol ERRORs sent to cameras, by error code (docs/protocol.md section 7)");
    for (ErrorCode code : ErrorCode.values()) {
      sample(b, "inspection_ingest_errors_total", in.errors(code), "code", code.name());
    }
    header(
        b,
        "inspection_ingest_limited_total",
        "counter",
        "client limits hit, by limit (docs/security.md; fair_share: OVERLOAD for a camera over its"
            + " share of admission)");
    for (io.lineinspect.camera.ingest.IngestMetrics.Limit l :
        io.lineinspect.camera.ingest.IngestMetrics.Limit.values()) {
      sample(b, "inspection_ingest_limited_total", in.limited(l), "limit", l.name());
    }
    sample(
        b,
        "inspection_ingest_limited_total",
        service.pipeline().metrics().fairShareRefused(),
        "limit",
        "FAIR_SHARE");
    header(
        b,
        "inspection_ingest_buffered_bytes",
        "gauge",
        "bytes of incomplete camera messages held now (ingest.maxBufferedBytes)");
    b.append("inspection_ingest_buffered_bytes ").append(in.bufferedBytes()).append('\n');
    header(
        b,
        "inspection_frames_truncated_total",
        "counter",
        "connections that closed in the middle of a message (that frame was not received)");
    b.append("inspection_frames_truncated_total ").append(in.truncatedAtDisconnect()).append('\n');
    header(
        b,
        "inspection_verdicts_undeliverable_total",
        "counter",
        "verdicts whose camera had disconnected (they still reached actuators and audit)");
    b.append("inspection_verdicts_undeliverable_total ")
        .append(in.verdictsUndeliverable())
        .append('\n');
  }

  /** The Prometheus exposition of the service's counters now. */
  static String render(InspectionService service) {
    StringBuilder b = new StringBuilder(8192);
    PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
    IngestMetrics in = service.server().metrics();
    header(b, "inspection_frames_received_total", "counter", "FRAMEs received from cameras");
    b.append("inspection_frames_received_total ").append(in.frames()).append('\n');
    header(b, "inspection_cameras_connected", "gauge", "camera connections open now");
    b.append("inspection_cameras_connected ")
        .append(service.server().connectedCameras())
        .append('\n');
    header(b, "inspection_verdicts_total", "counter", "verdicts sent, by verdict and reason");
    boolean failSafePass = service.config().line().failSafeVerdict().name().equals("PASS");
    long judgedPass = m.pass() - (failSafePass ? m.failSafe() : 0);
    for (Map.Entry<ReasonCode, Long> e : m.byReason().entrySet()) {
      if (e.getKey() == ReasonCode.NONE) {
        sample(b, "inspection_verdicts_total", judgedPass, "verdict", "PASS", "reason", "NONE");
        sample(
            b,
            "inspection_verdicts_total",
            e.getValue() - judgedPass,
            "verdict",
            "FAIL",
            "reason",
            "NONE");
      } else {
        sample(
            b,
            "inspection_verdicts_total",
            e.getValue(),
            "verdict",
            service.config().line().failSafeVerdict().name(),
            "reason",
            e.getKey().name());
      }
    }
    header(b, "inspection_camera_verdicts_total", "counter", "verdicts sent, by camera and reason");
    m.cameras()
        .forEach(
            (cam, c) ->
                c.byReason()
                    .forEach(
                        (r, n) ->
                            sample(
                                b,
                                "inspection_camera_verdicts_total",
                                n,
                                "camera",
                                cam,
                                "reason",
                                r.name())));
    header(b, "inspection_camera_rejects_total", "counter", "FAIL verdicts, by camera");
    m.cameras()
        .forEach((cam, c) -> sample(b, "inspection_camera_rejects_total", c.fail(), "camera", cam));
    header(
        b,
        "inspection_latency_seconds",
        "gauge",
        "receipt-to-verdict latency quantiles since start (service clock)");
    quantiles(
        b,
        "inspection_latency_seconds",
        m.latencyP50Us(),
        m.latencyP99Us(),
        m.latencyMaxUs(),
        null);
    header(
        b,
        "inspection_stage_latency_seconds",
        "gauge",
        "latency quantiles per pipeline stage since start");
    m.stages()
        .forEach(
            (name, st) ->
                quantiles(
                    b,
                    "inspection_stage_latency_seconds",
                    st.p50Us(),
                    st.p99Us(),
                    st.maxUs(),
                    name.name().toLowerCase(Locale.ROOT)));
    header(b, "inspection_batches_total", "counter", "inference batches run");
    b.append("inspection_batches_total ").append(m.batches()).append('\n');
    header(
        b,
        "inspection_batched_frames_total",
        "counter",
        "frames in those batches (mean batch = ratio)");
    b.append("inspection_batched_frames_total ").append(m.batchedFrames()).append('\n');
    header(
        b,
        "inspection_queue_depth",
        "gauge",
        "frames in the service now (received, not yet judged)");
    b.append("inspection_queue_depth ").append(service.pipeline().inFlight()).append('\n');
    header(
        b,
        "inspection_watchdog_verdicts_total",
        "counter",
        "fail-safe verdicts sent by the deadline watchdog");
    b.append("inspection_watchdog_verdicts_total ").append(m.watchdogVerdicts()).append('\n');
    header(
        b,
        "inspection_late_results_total",
        "counter",
        "model results that came after the watchdog had answered");
    b.append("inspection_late_results_total ").append(m.lateResults()).append('\n');
    ModelInfo model = service.servedModel();
    header(b, "inspection_model_info", "gauge", "the model judging frames (value 1)");
    if (model != null) {
      sample(
          b,
          "inspection_model_info",
          1,
          "name",
          model.name(),
          "version",
          model.version(),
          "sha256",
          model.sha256());
    }
    header(
        b,
        "inspection_model_switches_total",
        "counter",
        "models switched in (activations and rollbacks) since start");
    b.append("inspection_model_switches_total ").append(service.models().switches()).append('\n');
    header(
        b,
        "inspection_model_refusals_total",
        "counter",
        "candidate models refused (invalid, or failed the golden-set gate) since start");
    b.append("inspection_model_refusals_total ").append(service.models().refusals()).append('\n');
    InspectionService.StartupGate sg = service.startupGate();
    header(
        b,
        "inspection_startup_gate_seconds",
        "gauge",
        "how long the model served at start took to judge its golden set before the service was"
            + " ready (absent when the gate did not run)");
    if (sg != null) {
      b.append("inspection_startup_gate_seconds{model=\"")
          .append(escape(sg.model()))
          .append("\",correct=\"")
          .append(sg.correct())
          .append("\",total=\"")
          .append(sg.total())
          .append("\"} ")
          .append(sg.millis() / 1000.0)
          .append('\n');
    }
    header(
        b,
        "inspection_model_output_errors_total",
        "counter",
        "frames failed safe INFERENCE_ERROR because the served model's output broke its manifest"
            + " (NaN, out of range, class values not summing to 1), since that model was loaded");
    if (model != null && service.servedBackend() instanceof DjlBackend d) {
      sample(b, "inspection_model_output_errors_total", d.outputErrors(), "model", model.id());
    }
    ShadowRunner shadow = service.models().shadow();
    header(
        b,
        "inspection_shadow_samples_total",
        "counter",
        "frames of the running shadow model, by outcome (agreed, disagreed, skipped, failed)");
    if (shadow != null) {
      ShadowRunner.Stats st = shadow.stats();
      String id = shadow.candidate().id();
      sample(
          b, "inspection_shadow_samples_total", st.agreed(), "candidate", id, "outcome", "agreed");
      sample(
          b,
          "inspection_shadow_samples_total",
          st.disagreed(),
          "candidate",
          id,
          "outcome",
          "disagreed");
      sample(
          b,
          "inspection_shadow_samples_total",
          st.skippedBusy(),
          "candidate",
          id,
          "outcome",
          "skipped");
      sample(
          b, "inspection_shadow_samples_total", st.failed(), "candidate", id, "outcome", "failed");
    }
    header(
        b, "inspection_ready", "gauge", "1 once the model is warmed up and cameras are accepted");
    b.append("inspection_ready ").append(service.ready() ? 1 : 0).append('\n');
    health(b, service, in);
    if (service.rejects() != null) {
      ActuatorMetrics.Snapshot a = service.rejects().metrics().snapshot();
      header(
          b,
          "inspection_rejects_scheduled_total",
          "counter",
          "FAIL parts whose reject was scheduled");
      b.append("inspection_rejects_scheduled_total ").append(a.rejectsScheduled()).append('\n');
      header(
          b,
          "inspection_rejects_missed_total",
          "counter",
          "rejects that did not reach their part, by cause");
      for (MissCause c : MissCause.all()) {
        sample(b, "inspection_rejects_missed_total", a.missed().get(c), "cause", c.name());
      }
      header(
          b, "inspection_actuator_connected", "gauge", "1 while the actuator output is connected");
      header(
          b, "inspection_actuator_delivered_total", "counter", "rejects confirmed by the device");
      a.outputs()
          .forEach(
              (name, o) -> {
                if (!ActuatorMetrics.SCHEDULER.equals(name)) {
                  sample(b, "inspection_actuator_connected", o.connected() ? 1 : 0, "output", name);
                  sample(b, "inspection_actuator_delivered_total", o.delivered(), "output", name);
                }
              });
      header(
          b,
          "inspection_camera_clock_skew_total",
          "counter",
          "verdicts whose capture time was not trusted (reject timed from receipt), by cause");
      service
          .rejects()
          .metrics()
          .clockSkewByCamera()
          .forEach(
              (cam, byCause) ->
                  byCause.forEach(
                      (cause, n) ->
                          sample(
                              b,
                              "inspection_camera_clock_skew_total",
                              n,
                              "camera",
                              cam,
                              "cause",
                              cause.name())));
      header(b, "inspection_alarms_total", "counter", "alarms raised (missed rejects)");
      b.append("inspection_alarms_total ").append(a.alarms()).append('\n');
    }
    header(
        b,
        "inspection_camera_clock_offset_seconds",
        "gauge",
        "camera clock offset estimated from its HEARTBEAT timestamps: service clock minus camera"
            + " clock (positive = camera behind), NaN without a recent timestamp");
    service
        .cameraClocks()
        .offsetsUs()
        .forEach(
            (cam, us) ->
                b.append("inspection_camera_clock_offset_seconds{camera=\"")
                    .append(escape(cam))
                    .append("\"} ")
                    .append(us == CameraClocks.UNKNOWN ? "NaN" : Double.toString(us / 1e6))
                    .append('\n'));
    var unfit = service.unfitAlarm();
    header(
        b,
        "inspection_camera_unfit_alarm",
        "gauge",
        "1 while the camera keeps sending frames unfit to judge (quality.alarmAfter in a row)");
    unfit
        .alarmStates()
        .forEach(
            (cam, on) -> sample(b, "inspection_camera_unfit_alarm", on ? 1 : 0, "camera", cam));
    header(
        b,
        "inspection_camera_unfit_alarms_total",
        "counter",
        "times the camera's unfit-image alarm was raised");
    unfit
        .alarmStates()
        .keySet()
        .forEach(
            cam ->
                sample(
                    b, "inspection_camera_unfit_alarms_total", unfit.raised(cam), "camera", cam));
    var drift = service.drift();
    if (drift != null) {
      header(
          b,
          "inspection_drift_psi",
          "gauge",
          "population stability index vs the baseline, per feature (NaN until collected)");
      drift
          .psi()
          .forEach(
              (f, psi) ->
                  b.append("inspection_drift_psi{feature=\"")
                      .append(f.name().toLowerCase(Locale.ROOT))
                      .append("\"} ")
                      .append(Double.isNaN(psi) ? "NaN" : Double.toString(psi))
                      .append('\n'));
      header(
          b, "inspection_drift_alarm", "gauge", "1 once a feature drifted beyond drift.psiAlarm");
      b.append("inspection_drift_alarm ").append(drift.alarm() ? 1 : 0).append('\n');
    }
    var archive = service.archive();
    if (archive != null) {
      header(
          b,
          "inspection_archive_images_total",
          "counter",
          "images archived, skipped, failed, evicted");
      sample(b, "inspection_archive_images_total", archive.saved(), "result", "saved");
      sample(b, "inspection_archive_images_total", archive.skipped(), "result", "skipped");
      sample(b, "inspection_archive_images_total", archive.failed(), "result", "failed");
      sample(b, "inspection_archive_images_total", archive.evicted(), "result", "evicted");
    }
    AuditLog audit = service.audit();
    if (audit != null) {
      header(b, "inspection_audit_written_total", "counter", "audit records written");
      b.append("inspection_audit_written_total ").append(audit.written()).append('\n');
      header(b, "inspection_audit_backlog", "gauge", "records waiting to be written");
      b.append("inspection_audit_backlog ").append(audit.backlog()).append('\n');
      header(b, "inspection_audit_dropped_total", "counter", "records not written: queue full");
      b.append("inspection_audit_dropped_total ").append(audit.dropped()).append('\n');
      header(b, "inspection_audit_lost_total", "counter", "records lost to write errors");
      b.append("inspection_audit_lost_total ").append(audit.lost()).append('\n');
      header(
          b,
          "inspection_audit_write_errors_total",
          "counter",
          "audit write errors (disk full, I/O)");
      b.append("inspection_audit_write_errors_total ").append(audit.writeErrors()).append('\n');
    }
    return b.toString();
  }

  private static void header(StringBuilder b, String name, String type, String help) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void quantiles(
      StringBuilder b, String name, long p50Us, long p99Us, long maxUs, String stage) {
    String s = stage == null ? "" : "stage=\"" + stage + "\",";
    b.append(name)
        .append("{")
        .append(s)
        .append("quantile=\"0.5\"} ")
        .append(p50Us / 1e6)
        .append('\n');
    b.append(name)
        .append("{")
        .append(s)
        .append("quantile=\"0.99\"} ")
        .append(p99Us / 1e6)
        .append('\n');
    b.append(name)
        .append("{")
        .append(s)
        .append("quantile=\"1\"} ")
        .append(maxUs / 1e6)
        .append('\n');
  }

  private static void sample(StringBuilder b, String name, long value, String... labels) {
    b.append(name).append('{');
    for (int i = 0; i < labels.length; i += 2) {
      if (i > 0) {
        b.append(',');
      }
      b.append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
    }
    b.append("} ").append(value).append('\n');
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  void stopping() {
    stopping = true;
  }

  @Override
  public void close() {
    stopping = true;
    http.stop(0);
    executor.shutdownNow();
  }
}
