package io.lineinspect.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.lineinspect.app.admin.Role;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.decide.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator dashboard on the admin endpoint: the page (HTML, CSS, JavaScript from this jar, no
 * library, no CDN), its live snapshots as Server-Sent Events ({@link DashboardFeed}), the reject
 * filmstrip's images and audit records, alarms with acknowledgement, operator labels ({@link
 * LabelStore}) and the shift reset. Every path and format: {@code docs/dashboard.md}.
 *
 * <p>The admin endpoint ({@link io.lineinspect.app.admin.AdminServer}) routes {@code /dashboard…}
 * here through {@link #route}, checks the route's {@link Route#required role} with its {@code
 * AdminAuth} (refusals answered and audited there), calls {@link #handle}, and records every write
 * in the audit chain as an {@code "type":"admin"} line with the outcome {@link #handle} returns.
 *
 * <p>Threads: {@link #handle} on the admin HTTP threads (an event stream holds one for as long as
 * its browser watches, at most {@code dashboard.maxClients}).
 */
public final class Dashboard implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 4096;
  private static final String WEB = "/io/lineinspect/app/dashboard/web/";

  /** A dashboard request: the role it needs and whether it changes anything (audited). */
  public enum Route {
    PAGE(null, false),
    ASSET(null, false),
    EVENTS(Role.VIEWER, false),
    SNAPSHOT(Role.VIEWER, false),
    SESSION(Role.VIEWER, false),
    FRAME(Role.VIEWER, false),
    PART(Role.VIEWER, false),
    IMAGE(Role.VIEWER, false),
    LABELS(Role.VIEWER, false),
    LABEL(Role.OPERATOR, true),
    ACK(Role.OPERATOR, true),
    SHIFT_RESET(Role.ENGINEER, true), // issue 19: resets need the engineer
    METHOD_NOT_ALLOWED(Role.VIEWER, false),
    NOT_FOUND(Role.VIEWER, false);

    private final Role required;
    private final boolean write;

    Route(Role required, boolean write) {
      this.required = required;
      this.write = write;
    }

    /** The role needed, or null: the page and its scripts carry no line data. */
    public Role required() {
      return required;
    }

    /** A change: recorded in the audit chain. */
    public boolean write() {
      return write;
    }

    /**
     * Reads may be served without a credential where {@code admin.openReads} opens the monitoring
     * probes (default: from loopback); writes never.
     */
    public boolean openRead() {
      return !write;
    }
  }

  private static final Map<String, Route> ROUTES =
      Map.ofEntries(
          Map.entry("GET /dashboard", Route.PAGE),
          Map.entry("GET /dashboard/", Route.PAGE),
          Map.entry("GET /dashboard/dashboard.css", Route.ASSET),
          Map.entry("GET /dashboard/dashboard.js", Route.ASSET),
          Map.entry("GET /dashboard/api/events", Route.EVENTS),
          Map.entry("GET /dashboard/api/snapshot", Route.SNAPSHOT),
          Map.entry("GET /dashboard/api/session", Route.SESSION),
          Map.entry("GET /dashboard/api/frame", Route.FRAME),
          Map.entry("GET /dashboard/api/part", Route.PART),
          Map.entry("GET /dashboard/api/image", Route.IMAGE),
          Map.entry("GET /dashboard/api/labels", Route.LABELS),
          Map.entry("POST /dashboard/api/labels", Route.LABEL),
          Map.entry("POST /dashboard/api/alarms/ack", Route.ACK),
          Map.entry("POST /dashboard/api/shift/reset", Route.SHIFT_RESET));

  private static final java.util.Set<String> PATHS =
      ROUTES.keySet().stream()
          .map(k -> k.substring(k.indexOf(' ') + 1))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** Whether {@code rawPath} belongs to the dashboard (then {@link #route} decides). */
  public static boolean owns(String rawPath) {
    return rawPath != null && (rawPath.equals("/dashboard") || rawPath.startsWith("/dashboard/"));
  }

  /** The route of a request by method and raw path, compared whole (no prefix matching). */
  public static Route route(String method, String rawPath) {
    Route r = ROUTES.get(method + " " + rawPath);
    if (r != null) {
      return r;
    }
    return PATHS.contains(rawPath) ? Route.METHOD_NOT_ALLOWED : Route.NOT_FOUND;
  }

  private final DashboardConfig config;
  private final DashboardFeed feed;
  private final LabelStore labels;
  private final Path archiveDir;
  private final Path auditDir;
  private volatile boolean stopping;

  /**
   * @param archiveDir the image archive, or null when it is off
   * @param auditDir the audit trail, or null when it is off
   */
  public Dashboard(
      DashboardConfig config,
      DashboardFeed feed,
      LabelStore labels,
      Path archiveDir,
      Path auditDir) {
    this.config = config;
    this.feed = feed;
    this.labels = labels;
    this.archiveDir = archiveDir;
    this.auditDir = auditDir;
  }

  public DashboardFeed feed() {
    return feed;
  }

  public LabelStore labels() {
    return labels;
  }

  /**
   * Answers a request whose role was checked; returns its outcome in one word (for the audit of a
   * write): {@code LABELLED}, {@code ACKNOWLEDGED}, {@code SHIFT_RESET}, {@code BAD_REQUEST},
   * {@code NOT_FOUND}, {@code CONFLICT}, {@code SERVED}.
   *
   * @param role the role the credential proved (null: an open read)
   * @param remote the client's address, for the label's record
   * @param params filled with what a write asked for, for its audit line
   */
  public String handle(
      HttpExchange ex, Route route, Role role, String remote, Map<String, String> params)
      throws IOException {
    Map<String, String> q = query(ex);
    switch (route) {
      case PAGE -> asset(ex, "index.html", "text/html; charset=utf-8");
      case ASSET -> {
        String p = ex.getRequestURI().getRawPath();
        String name = p.substring(p.lastIndexOf('/') + 1);
        asset(
            ex,
            name,
            name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
      }
      case EVENTS -> events(ex);
      case SNAPSHOT -> bytes(ex, 200, "application/json; charset=utf-8", feed.snapshot());
      case SESSION -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role == null ? null : role.label());
        m.put("writeIdleSeconds", config.writeIdleSeconds());
        json(ex, 200, m);
      }
      case FRAME -> {
        Thumb t = feed.latestImage(q.getOrDefault("camera", ""));
        if (t == null) {
          json(ex, 404, error("no frame of camera '" + printable(q.get("camera")) + "' yet"));
        } else {
          ex.getResponseHeaders().set("Cache-Control", "no-store");
          bytes(ex, 200, t.contentType(), t.bytes());
        }
      }
      case PART -> part(ex, q);
      case IMAGE -> image(ex, q);
      case LABELS -> {
        List<Object> all = new ArrayList<>(labels.all());
        json(ex, 200, Map.of("labels", all));
      }
      case LABEL -> {
        return label(ex, role, remote, params);
      }
      case ACK -> {
        JsonNode b = body(ex);
        if (b == null) {
          return "BAD_REQUEST";
        }
        String id = b.path("id").asText(null);
        if (id == null) {
          json(ex, 400, error("the body must be {\"id\": \"<alarm id>\"}"));
          return "BAD_REQUEST";
        }
        params.put("id", printable(id));
        if (!feed.acknowledge(id, role.label())) {
          json(ex, 404, error("no alarm '" + printable(id) + "'"));
          return "NOT_FOUND";
        }
        json(ex, 200, Map.of("acknowledged", id, "by", role.label()));
        return "ACKNOWLEDGED";
      }
      case SHIFT_RESET -> {
        feed.resetShift();
        json(ex, 200, Map.of("shiftStartUs", feed.shiftStartUs()));
        return "SHIFT_RESET";
      }
      case METHOD_NOT_ALLOWED -> {
        json(ex, 405, error("method not allowed"));
        return "METHOD_NOT_ALLOWED";
      }
      default -> {
        json(ex, 404, error("no such dashboard path (docs/dashboard.md)"));
        return "NOT_FOUND";
      }
    }
    return "SERVED";
  }

  /** {@code GET /dashboard/api/events}: one {@code snapshot} event per snapshot, until gone. */
  private void events(HttpExchange ex) throws IOException {
    if (!feed.client(true)) {
      json(
          ex,
          503,
          error(
              "too many dashboards streaming ("
                  + config.maxClients()
                  + ", dashboard.maxClients); close one or use GET /dashboard/api/snapshot"));
      return;
    }
    try {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write("retry: 1000\n\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long seen = -1;
      while (!stopping) {
        long v = feed.awaitSnapshot(seen, 5_000);
        if (stopping) {
          break;
        }
        if (v == seen) {
          out.write(": idle\n\n".getBytes(StandardCharsets.US_ASCII));
        } else {
          seen = v;
          out.write(("id: " + v + "\nevent: snapshot\ndata: ").getBytes(StandardCharsets.US_ASCII));
          out.write(feed.snapshot());
          out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      }
      out.close();
    } catch (IOException gone) {
      // the browser went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      feed.client(false);
    }
  }

  private void part(HttpExchange ex, Map<String, String> q) throws IOException {
    Id id = id(ex, q, true);
    if (id == null) {
      return;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("part", Part.key(id.camera, id.seq, id.captureUs));
    JsonNode record = AuditLookup.find(auditDir, id.camera, id.seq, id.captureUs);
    Part recent = feed.recentPart(Part.key(id.camera, id.seq, id.captureUs));
    if (record != null) {
      m.put("source", "audit");
      m.put("record", record);
    } else if (recent != null) {
      m.put("source", "memory");
      m.put("record", recent.asRecord());
    } else {
      json(ex, 404, error("no record of " + Part.key(id.camera, id.seq, id.captureUs)));
      return;
    }
    m.put("image", imageOf(id) == null ? null : imageUrl(id));
    List<Object> mine = new ArrayList<>();
    for (JsonNode l : labels.all()) {
      if (id.camera.equals(l.path("camera").asText())
          && l.path("seq").asLong() == id.seq
          && l.path("captureUs").asLong() == id.captureUs) {
        mine.add(l);
      }
    }
    m.put("labels", mine);
    json(ex, 200, m);
  }

  private static String imageUrl(Id id) {
    return "/dashboard/api/image?camera="
        + java.net.URLEncoder.encode(id.camera, StandardCharsets.UTF_8)
        + "&seq="
        + id.seq
        + "&captureUs="
        + id.captureUs;
  }

  private Path imageOf(Id id) throws IOException {
    if (archiveDir == null) {
      return null;
    }
    List<Path> files = ImageArchive.filesOf(archiveDir, id.camera, id.seq, id.captureUs);
    return files.isEmpty() ? null : files.get(files.size() - 1);
  }

  private void image(HttpExchange ex, Map<String, String> q) throws IOException {
    Id id = id(ex, q, true);
    if (id == null) {
      return;
    }
    Path f = imageOf(id);
    if (f == null) {
      f = labelledImage(id);
    }
    if (f == null) {
      json(ex, 404, error("no archived image of " + Part.key(id.camera, id.seq, id.captureUs)));
      return;
    }
    byte[] b;
    try {
      b = Files.readAllBytes(f);
    } catch (java.nio.file.NoSuchFileException evicted) {
      json(
          ex,
          404,
          error(
              "the image of "
                  + Part.key(id.camera, id.seq, id.captureUs)
                  + " was deleted (archive quota)"));
      return;
    }
    bytes(ex, 200, f.toString().endsWith(".png") ? "image/png" : "image/jpeg", b);
  }

  /** The copy a label kept of a part's image, or null. */
  private Path labelledImage(Id id) throws IOException {
    for (JsonNode l : labels.all()) {
      if (id.camera.equals(l.path("camera").asText())
          && l.path("seq").asLong() == id.seq
          && l.path("captureUs").asLong() == id.captureUs
          && l.hasNonNull("image")) {
        Path p = labels.dir().resolve(l.get("image").asText());
        if (Files.isRegularFile(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /** {@code POST /dashboard/api/labels}. */
  private String label(HttpExchange ex, Role role, String remote, Map<String, String> params)
      throws IOException {
    JsonNode b = body(ex);
    if (b == null) {
      return "BAD_REQUEST";
    }
    String camera = b.path("camera").asText(null);
    String label = b.path("label").asText(null);
    if (camera != null) {
      params.put("camera", printable(camera));
    }
    if (b.has("seq")) {
      params.put("seq", printable(b.get("seq").asText()));
    }
    if (b.hasNonNull("captureUs")) {
      params.put("captureUs", printable(b.get("captureUs").asText()));
    }
    if (label != null) {
      params.put("label", printable(label));
    }
    if (camera == null || !b.path("seq").canConvertToLong() || label == null) {
      json(
          ex,
          400,
          error(
              "the body must be {\"camera\": \"…\", \"seq\": <frame>, \"captureUs\": <µs, optional>,"
                  + " \"label\": \"false-reject|confirmed-defect|escaped-defect\"}"));
      return "BAD_REQUEST";
    }
    if (!LabelStore.LABELS.contains(label)) {
      json(
          ex,
          400,
          error("label must be one of " + LabelStore.LABELS + ", got '" + printable(label) + "'"));
      return "BAD_REQUEST";
    }
    long seq = b.get("seq").asLong();
    Long captureUs = b.hasNonNull("captureUs") ? b.get("captureUs").asLong() : null;
    JsonNode record = AuditLookup.find(auditDir, camera, seq, captureUs);
    Map<String, Object> r;
    if (record != null) {
      r =
          JSON.convertValue(
              record,
              JSON.getTypeFactory()
                  .constructMapType(LinkedHashMap.class, String.class, Object.class));
    } else {
      Part recent = captureUs == null ? null : feed.recentPart(Part.key(camera, seq, captureUs));
      if (recent == null) {
        json(
            ex,
            404,
            error(
                "no verdict of camera '"
                    + printable(camera)
                    + "' frame "
                    + seq
                    + " in the audit trail: a label needs the part's audit identity"));
        return "NOT_FOUND";
      }
      r = recent.asRecord();
    }
    String verdict = String.valueOf(r.get("verdict"));
    if (label.equals("escaped-defect") && Verdict.FAIL.name().equals(verdict)) {
      json(
          ex,
          409,
          error(
              "frame "
                  + seq
                  + " of "
                  + printable(camera)
                  + " was rejected (FAIL), it did not escape: label it confirmed-defect"));
      return "CONFLICT";
    }
    Id id = new Id(camera, seq, ((Number) r.get("captureUs")).longValue());
    params.put("captureUs", String.valueOf(id.captureUs));
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("label", label);
    l.put("camera", camera);
    l.put("seq", seq);
    l.put("captureUs", id.captureUs);
    l.put("verdict", verdict);
    l.put("reason", r.get("reason"));
    l.put("score", r.get("score"));
    l.put("model", r.get("model"));
    l.put("version", r.get("version"));
    l.put("sha256", r.get("sha256"));
    l.put("role", role.label());
    l.put("remote", remote);
    l.put("atUs", io.lineinspect.core.actuate.RejectScheduler.systemEpochMicros());
    Path img = imageOf(id);
    json(ex, 200, labels.add(l, img));
    return "LABELLED";
  }

  private record Id(String camera, long seq, long captureUs) {}

  /** camera, seq and (when {@code needCapture}) captureUs of the query, or null after a 400. */
  private static Id id(HttpExchange ex, Map<String, String> q, boolean needCapture)
      throws IOException {
    try {
      String camera = q.get("camera");
      long seq = Long.parseLong(q.getOrDefault("seq", ""));
      long capture =
          needCapture || q.containsKey("captureUs")
              ? Long.parseLong(q.getOrDefault("captureUs", ""))
              : 0;
      if (camera == null || camera.isEmpty()) {
        throw new NumberFormatException();
      }
      return new Id(camera, seq, capture);
    } catch (NumberFormatException e) {
      json(ex, 400, error("the query must be ?camera=<id>&seq=<frame>&captureUs=<µs>"));
      return null;
    }
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> m = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      try {
        m.putIfAbsent(
            URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException badEscape) {
        // ignored: the parameter is then missing, and the answer says which are needed
      }
    }
    return m;
  }

  private static void asset(HttpExchange ex, String name, String type) throws IOException {
    try (InputStream in = Dashboard.class.getResourceAsStream(WEB + name)) {
      if (in == null) {
        json(ex, 404, error("missing resource " + name));
        return;
      }
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      bytes(ex, 200, type, in.readAllBytes());
    }
  }

  private static JsonNode body(HttpExchange ex) throws IOException {
    byte[] bytes = ex.getRequestBody().readNBytes(MAX_BODY + 1);
    if (bytes.length > MAX_BODY) {
      json(ex, 413, error("request body larger than " + MAX_BODY + " bytes"));
      return null;
    }
    try {
      JsonNode n = bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
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

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    bytes(ex, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
  }

  private static void bytes(HttpExchange ex, int status, String type, byte[] b) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private static Map<String, Object> error(String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    return m;
  }

  /** At most 80 characters, anything outside printable ASCII as '?'. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; s != null && i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return b.toString();
  }

  /** Ends the event streams (the admin endpoint is stopping). */
  public void stopping() {
    stopping = true;
  }

  @Override
  public void close() {
    stopping = true;
    feed.close();
  }
}
