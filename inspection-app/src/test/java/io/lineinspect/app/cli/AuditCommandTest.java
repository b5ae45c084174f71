package io.lineinspect.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code inspect audit verify|query} on a real trail. */
class AuditCommandTest {
  @TempDir Path dir;

  private record Run(int exit, String out) {}

  private static Run inspect(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int exit = new CommandLine(new InspectCommand()).execute(args);
      return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  private AuditLog openLog() throws java.io.IOException {
    return new AuditLog(
        new AuditConfig(true, "x", "interval", 100, 8192L, 3600, 1L << 30, 1024),
        dir,
        RejectScheduler::systemEpochMicros);
  }

  @Test
  void verifyPassesThenPinpointsAFlippedByteAndQueryFilters() throws Exception {
    try (AuditLog log = openLog()) {
      TestVerdict v = new TestVerdict();
      for (int i = 1; i <= 100; i++) {
        log.onVerdict(
            v.part(
                "cam-" + (i % 2 + 1),
                i,
                i % 4 == 0 ? Verdict.FAIL : Verdict.PASS,
                0,
                System.nanoTime()));
      }
      Thread.sleep(100);
    }
    Run ok = inspect("audit", "verify", "--dir", dir.toString());
    assertEquals(0, ok.exit(), ok.out());
    assertTrue(ok.out().contains("100 records (1..100)"), ok.out());

    Run fails =
        inspect(
            "audit",
            "query",
            "--dir",
            dir.toString(),
            "--camera",
            "cam-1",
            "--verdict",
            "FAIL",
            "--format",
            "csv");
    assertEquals(0, fails.exit());
    String[] rows = fails.out().trim().split("\n");
    assertTrue(rows[0].startsWith("n,type,cam,frame,"), rows[0]);
    assertEquals(
        25 + 1, rows.length, "cam-1 has the odd frames; every 4th frame is FAIL: " + fails.out());

    Path second = AuditVerifier.segments(dir).get(1);
    byte[] b = Files.readAllBytes(second);
    int at = new String(b, StandardCharsets.UTF_8).indexOf("\"frame\":") + 8;
    b[at] = (byte) (b[at] == '9' ? '8' : '9');
    Files.write(second, b);
    Run bad = inspect("audit", "verify", "--dir", dir.toString());
    assertEquals(4, bad.exit(), bad.out());
    assertTrue(
        bad.out().contains("TAMPERED OR CORRUPT: " + second.getFileName() + " line 2:"), bad.out());
  }

  @Test
  void queryFindsARecordWhoseStringsNeedEscaping() throws Exception {
    String camera = "cam \"east\" \\ 1";
    String detail = "empty \"BGR8\" payload\nline 2 — ü";
    try (AuditLog log = openLog()) {
      TestVerdict v = new TestVerdict();
      v.part(camera, 7, Verdict.FAIL, 0, System.nanoTime());
      v.reason = io.lineinspect.core.decide.ReasonCode.BAD_IMAGE;
      v.detail = detail;
      log.onVerdict(v);
    }
    assertEquals(0, inspect("audit", "verify", "--dir", dir.toString()).exit());
    Run found = inspect("audit", "query", "--dir", dir.toString(), "--camera", camera);
    assertEquals(0, found.exit(), found.out());
    String[] rows = found.out().trim().split("\n");
    assertEquals(1, rows.length, found.out());
    com.fasterxml.jackson.databind.JsonNode r =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(rows[0]);
    assertEquals(camera, r.path("cam").asText());
    assertEquals(7, r.path("frame").asLong());
    assertEquals(detail, r.path("detail").asText());

    Run csv =
        inspect("audit", "query", "--dir", dir.toString(), "--camera", camera, "--format", "csv");
    assertEquals(0, csv.exit(), csv.out());
    String[] lines = csv.out().trim().split("\n");
    assertEquals(2, lines.length, csv.out());
    // The camera field quoted, its quotes doubled: the row still has as many fields as the header.
    assertTrue(lines[1].contains("\"cam \"\"east\"\" \\ 1\""), lines[1]);
  }

  @Test
  void csvFieldsAreQuotedPerRfc4180() {
    assertEquals("plain", AuditCommand.Query.csvField("plain"));
    assertEquals("\"a,b\"", AuditCommand.Query.csvField("a,b"));
    assertEquals("\"say \"\"hi\"\"\"", AuditCommand.Query.csvField("say \"hi\""));
    assertEquals("\"l1\nl2\"", AuditCommand.Query.csvField("l1\nl2"));
  }

  @Test
  void verifyReportsWhatRetentionDeletedAndFailsOnASegmentDeletedByHand() throws Exception {
    try (AuditLog log =
        new AuditLog(
            new AuditConfig(true, "x", "interval", 100, 4096L, 3600, 3 * 4096L, 1024),
            dir,
            RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      for (int i = 1; i <= 200; i++) {
        log.onVerdict(v.part("cam-1", i, Verdict.PASS, 0, System.nanoTime()));
        if (i % 50 == 0) {
          Thread.sleep(20);
        }
      }
      long until = System.nanoTime() + 20_000_000_000L;
      while (log.written() < 200 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
    }
    java.util.List<Path> kept = AuditVerifier.segments(dir);
    long oldest = Long.parseLong(kept.get(0).getFileName().toString().replaceAll("\\D", ""));
    Run ok = inspect("audit", "verify", "--dir", dir.toString());
    assertEquals(0, ok.exit(), ok.out());
    assertTrue(
        ok.out().contains("note: segments 1-" + (oldest - 1) + " (audit-0000000001.jsonl to "),
        ok.out());
    assertTrue(ok.out().contains(") deleted by retention "), ok.out());
    assertTrue(
        ok.out().contains("; the chain is checked from " + kept.get(0).getFileName()), ok.out());
    assertTrue(ok.out().contains("OK: the chain is intact"), ok.out());

    Files.delete(kept.get(0));
    Run bad = inspect("audit", "verify", "--dir", dir.toString());
    assertEquals(4, bad.exit(), bad.out());
    assertTrue(
        bad.out()
            .contains(
                "TAMPERED OR CORRUPT: segments 1-"
                    + oldest
                    + " (audit-0000000001.jsonl to "
                    + kept.get(0).getFileName()
                    + ") missing, and no retention line in the chain names it: deleted by hand"),
        bad.out());
  }
}
