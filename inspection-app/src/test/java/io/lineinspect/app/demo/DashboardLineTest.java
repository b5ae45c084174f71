package io.lineinspect.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lineinspect.app.SimRun;
import io.lineinspect.app.dashboard.LabelExport;
import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.sim.SimStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's endpoints against a live demo line (real service, cameras, simulated PLC and HTTP
 * client on loopback): its counts are the cameras' counts, the filmstrip's parts are in the archive
 * and the audit trail, labels need the operator and round-trip into {@code labels export}, a killed
 * PLC raises an alarm that the operator acknowledges, and every write is a chained audit line.
 */
class DashboardLineTest {
  @TempDir Path home;

  @Test
  void shouldShowTheLineAsTheCamerasSawItAndAuditEveryOperatorAction() throws Exception {
    try (LiveLine line = new LiveLine(home, 5)) {
      // The event stream: the first event is a snapshot, in the documented framing.
      HttpResponse<java.io.InputStream> sse =
          LiveLine.HTTP.send(
              HttpRequest.newBuilder(URI.create(line.url("/dashboard/api/events"))).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, sse.statusCode());
      assertEquals(
          "text/event-stream; charset=utf-8", sse.headers().firstValue("Content-Type").orElse(""));
      List<String> lines = new ArrayList<>();
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = in.readLine()) != null && !l.startsWith("data: ")) {
          lines.add(l);
        }
        assertNotNull(l, "a data line");
        assertTrue(lines.contains("event: snapshot"), lines.toString());
        JsonNode first = LiveLine.JSON.readTree(l.substring(6));
        assertTrue(first.has("shift") && first.has("cameras"), first.toString());
      }

      // A FAIL part in the filmstrip is in the archive and the audit trail.
      JsonNode s = line.awaitSnapshot(x -> x.path("filmstrip").size() > 0, 10_000);
      assertTrue(s.path("filmstrip").size() > 0, "a FAIL part in the filmstrip: " + s);
      JsonNode p = s.path("filmstrip").get(0);
      String q =
          "camera="
              + p.path("camera").asText()
              + "&seq="
              + p.path("seq").asLong()
              + "&captureUs="
              + p.path("captureUs").asLong();
      assertFalse(
          ImageArchive.filesOf(
                  home.resolve("archive"),
                  p.path("camera").asText(),
                  p.path("seq").asLong(),
                  p.path("captureUs").asLong())
              .isEmpty());
      HttpResponse<String> image = line.get("/dashboard/api/image?" + q, null);
      assertEquals(200, image.statusCode());
      JsonNode part = awaitPart(line, q);
      assertEquals("audit", part.path("source").asText(), part.toString());
      assertEquals(p.path("seq").asLong(), part.path("record").path("frame").asLong());
      assertEquals("FAIL", part.path("record").path("verdict").asText());

      // Labels: refused without the operator credential, stored with it.
      String label =
          "{\"camera\":\""
              + p.path("camera").asText()
              + "\",\"seq\":"
              + p.path("seq").asLong()
              + ",\"captureUs\":"
              + p.path("captureUs").asLong()
              + ",\"label\":\"false-reject\"}";
      assertEquals(401, line.post("/dashboard/api/labels", null, label).statusCode());
      assertEquals(403, line.post("/dashboard/api/labels", "viewer", label).statusCode());
      HttpResponse<String> ok = line.post("/dashboard/api/labels", "operator", label);
      assertEquals(200, ok.statusCode(), ok.body());
      JsonNode stored = LiveLine.JSON.readTree(ok.body());
      assertEquals("operator", stored.path("role").asText());
      assertEquals(part.path("record").path("version").asText(), stored.path("version").asText());
      assertEquals(
          400,
          line.post("/dashboard/api/labels", "operator", label.replace("false-reject", "maybe"))
              .statusCode());

      // An escaped defect is reported by part id alone (the form on the page): on a PASS part it
      // is stored with that part's audit identity; on a FAIL part it is a conflict; on a frame
      // without a verdict record it is not found.
      JsonNode passed = awaitPassRecord(home.resolve("audit"), 10_000);
      String escaped =
          "{\"camera\":\""
              + passed.path("cam").asText()
              + "\",\"seq\":"
              + passed.path("frame").asLong()
              + ",\"label\":\"escaped-defect\"}";
      HttpResponse<String> esc = line.post("/dashboard/api/labels", "operator", escaped);
      assertEquals(200, esc.statusCode(), esc.body());
      JsonNode escStored = LiveLine.JSON.readTree(esc.body());
      assertEquals("PASS", escStored.path("verdict").asText(), esc.body());
      assertEquals(passed.path("captureUs").asLong(), escStored.path("captureUs").asLong());
      assertEquals(passed.path("version").asText(), escStored.path("version").asText());
      assertEquals(
          409,
          line.post(
                  "/dashboard/api/labels",
                  "operator",
                  label.replace("false-reject", "escaped-defect"))
              .statusCode());
      assertEquals(
          404,
          line.post(
                  "/dashboard/api/labels",
                  "operator",
                  "{\"camera\":\"no-such-cam\",\"seq\":1,\"label\":\"escaped-defect\"}")
              .statusCode());

      // Killing the PLC raises an alarm; the operator acknowledges it.
      line.killPlc();
      JsonNode alarmed =
          line.awaitSnapshot(
              x -> {
                for (JsonNode a : x.path("alarms")) {
                  if (a.path("kind").asText().equals("actuator")) {
                    return true;
                  }
                }
                return false;
              },
              10_000);
      String alarmId = null;
      for (JsonNode a : alarmed.path("alarms")) {
        if (a.path("kind").asText().equals("actuator")) {
          alarmId = a.path("id").asText();
        }
      }
      assertNotNull(
          alarmId, "an actuator alarm after the PLC was killed: " + alarmed.path("alarms"));
      String ack = "{\"id\":\"" + alarmId + "\"}";
      assertEquals(403, line.post("/dashboard/api/alarms/ack", "viewer", ack).statusCode());
      assertEquals(200, line.post("/dashboard/api/alarms/ack", "operator", ack).statusCode());
      String id = alarmId;
      JsonNode acked =
          line.awaitSnapshot(
              x -> {
                for (JsonNode a : x.path("alarms")) {
                  if (a.path("id").asText().equals(id)) {
                    return a.path("ackedBy").asText().equals("operator");
                  }
                }
                return true; // acknowledged and cleared
              },
              5_000);
      assertNotNull(acked);

      // When the cameras are done, the shift counters are the cameras' own counts.
      SimRun.Result r = line.cameras.get(60, TimeUnit.SECONDS);
      SimStats.Snapshot cams = r.stats();
      JsonNode done =
          line.awaitSnapshot(x -> x.path("shift").path("total").asLong() == cams.sent(), 5_000);
      JsonNode shift = done.path("shift");
      assertEquals(cams.sent(), shift.path("total").asLong(), shift.toString());
      assertEquals(cams.pass(), shift.path("ok").asLong(), shift.toString());
      assertEquals(
          cams.fail(),
          shift.path("ng").asLong() + shift.path("failSafeTotal").asLong(),
          shift.toString());
      for (JsonNode c : done.path("cameras")) {
        assertTrue(c.has("connected") && c.has("fps"), c.toString());
      }

      // Shift reset: operator only, counters from zero.
      assertEquals(401, line.post("/dashboard/api/shift/reset", null, "{}").statusCode());
      assertEquals(403, line.post("/dashboard/api/shift/reset", "operator", "{}").statusCode());
      assertEquals(200, line.post("/dashboard/api/shift/reset", "engineer", "{}").statusCode());
      assertEquals(
          0,
          line.awaitSnapshot(x -> x.path("shift").path("total").asLong() == 0, 3_000)
              .path("shift")
              .path("total")
              .asLong());
    }

    // The label survives the service and becomes a labelled image set.
    Path out = home.resolve("export");
    LabelExport.Result x =
        LabelExport.write(
            new io.lineinspect.app.dashboard.LabelStore(home.resolve("var/labels")), out);
    assertEquals(1, x.images());
    List<String> csv = Files.readAllLines(out.resolve("labels.csv"));
    assertEquals("file,label,defect", csv.get(0));
    assertEquals("00000.png", csv.get(1).split(",")[0]);
    assertEquals("good", csv.get(1).split(",")[1]);
    assertTrue(Files.size(out.resolve("00000.png")) > 0);
    assertEquals(1, io.lineinspect.core.model.GoldenSet.load(out.resolve("labels.csv")).size());

    // Every write, and every refusal, is a chained admin line; the chain verifies.
    List<JsonNode> admin = new ArrayList<>();
    for (Path seg : AuditVerifier.segments(home.resolve("audit"))) {
      for (String l : Files.readAllLines(seg)) {
        if (l.contains(",\"type\":\"admin\"")) {
          admin.add(LiveLine.JSON.readTree(l));
        }
      }
    }
    assertTrue(has(admin, "/dashboard/api/labels", "LABELLED", "operator"), admin.toString());
    assertTrue(has(admin, "/dashboard/api/labels", "UNAUTHENTICATED", null), admin.toString());
    assertTrue(has(admin, "/dashboard/api/labels", "FORBIDDEN", "viewer"), admin.toString());
    assertTrue(
        has(admin, "/dashboard/api/alarms/ack", "ACKNOWLEDGED", "operator"), admin.toString());
    assertTrue(
        has(admin, "/dashboard/api/shift/reset", "SHIFT_RESET", "engineer"), admin.toString());
    assertTrue(has(admin, "/dashboard/api/shift/reset", "FORBIDDEN", "operator"), admin.toString());
    AuditVerifier.Report report = AuditVerifier.verify(home.resolve("audit"), rec -> {});
    assertTrue(report.ok(), report.toString());
  }

  private static JsonNode awaitPart(LiveLine line, String q) throws Exception {
    long until = System.nanoTime() + 5_000_000_000L;
    JsonNode part;
    do {
      part = LiveLine.JSON.readTree(line.get("/dashboard/api/part?" + q, null).body());
      if (part.path("source").asText().equals("audit")) {
        return part;
      }
      Thread.sleep(100);
    } while (System.nanoTime() - until < 0);
    return part;
  }

  /** The first PASS verdict record in the audit trail, waiting for the writer up to {@code ms}. */
  private static JsonNode awaitPassRecord(Path audit, long ms) throws Exception {
    long end = System.nanoTime() + ms * 1_000_000L;
    do {
      for (Path seg : AuditVerifier.segments(audit)) {
        for (String l : Files.readAllLines(seg)) {
          if (l.endsWith("}")
              && l.contains("\"verdict\":\"PASS\"")
              && l.contains("\"type\":\"record\"")) {
            return LiveLine.JSON.readTree(l);
          }
        }
      }
      Thread.sleep(100);
    } while (System.nanoTime() < end);
    throw new AssertionError("no PASS record in " + audit + " within " + ms + " ms");
  }

  private static boolean has(List<JsonNode> lines, String path, String outcome, String role) {
    for (JsonNode l : lines) {
      if (l.path("path").asText().equals(path)
          && l.path("outcome").asText().equals(outcome)
          && (role == null ? l.path("role").isNull() : l.path("role").asText().equals(role))) {
        return true;
      }
    }
    return false;
  }
}
