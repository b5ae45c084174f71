package io.lineinspect.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.testing.TestVerdict;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir Path dir;

  private static AuditConfig config(long segmentBytes) {
    return new AuditConfig(true, "unused", "interval", 100, segmentBytes, 3600, 1L << 30, 1024);
  }

  private static void write(AuditLog log, int from, int to) throws InterruptedException {
    TestVerdict v = new TestVerdict();
    v.model = new ModelInfo("demo-defects", "1", "52195a3e", 0.5f);
    for (int i = from; i <= to; i++) {
      long now = System.nanoTime();
      log.onVerdict(
          v.part(
              "cam-" + (i % 2 + 1),
              i,
              i % 3 == 0 ? Verdict.FAIL : Verdict.PASS,
              0,
              now - 5_000_000));
      if (i % 200 == 0) {
        Thread.sleep(5); // let the writer keep up with the 1024-entry queue
      }
    }
  }

  private AuditLog open(long segmentBytes) throws Exception {
    return new AuditLog(config(segmentBytes), dir, RejectScheduler::systemEpochMicros);
  }

  @Test
  void everyVerdictIsRecordedAndTheChainVerifiesAcrossSegments() throws Exception {
    try (AuditLog log = open(16_384)) {
      write(log, 1, 1000);
      long until = System.nanoTime() + 5_000_000_000L;
      while (log.written() < 1000 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(0, log.dropped());
    }
    List<String> records = new ArrayList<>();
    AuditVerifier.Report r = AuditVerifier.verify(dir, records::add);
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(1000, r.records());
    assertEquals(1, r.firstRecord());
    assertEquals(1000, r.lastRecord());
    assertTrue(r.segments() > 3, "rotated by size: " + r.segments());
    String first = records.get(0);
    assertTrue(first.contains("\"cam\":\"cam-2\",\"frame\":1,"), first);
    assertTrue(
        first.contains("\"model\":\"demo-defects\",\"version\":\"1\",\"sha256\":\"52195a3e\""),
        first);
    assertTrue(first.contains("\"latencyUs\":"), first);
  }

  @Test
  void warmUpVerdictsAreFormattedButNeverWrittenOrChained() throws Exception {
    try (AuditLog log = open(1 << 20)) {
      TestVerdict v = new TestVerdict();
      v.model = new ModelInfo("demo-defects", "1", "52195a3e", 0.5f);
      v.warmUp(true);
      for (int i = 1; i <= 200; i++) {
        log.onWarmUpVerdict(v.part("cam-1", i, Verdict.FAIL, 0, System.nanoTime() - 1_000_000));
      }
      long until = System.nanoTime() + 5_000_000_000L;
      while (log.warmUpRecordsFormatted() < 200 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(200, log.warmUpRecordsFormatted(), "the writer's path ran for each");
      write(log, 1, 10);
      until = System.nanoTime() + 5_000_000_000L;
      while (log.written() < 10 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(10, log.written(), "only the real verdicts are records");
    }
    List<String> records = new ArrayList<>();
    AuditVerifier.Report r = AuditVerifier.verify(dir, records::add);
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(10, r.records());
    assertEquals(1, r.firstRecord(), "numbering starts at the first real verdict");
    assertTrue(records.get(0).contains("\"frame\":1,"), records.get(0));
  }

  @Test
  void oneFlippedByteInAClosedSegmentIsPinpointed() throws Exception {
    try (AuditLog log = open(16_384)) {
      write(log, 1, 600);
    }
    List<Path> segments = AuditVerifier.segments(dir);
    Path victim = segments.get(1);
    byte[] bytes = Files.readAllBytes(victim);
    String text = new String(bytes, StandardCharsets.UTF_8);
    int line3 = text.indexOf('\n', text.indexOf('\n', text.indexOf('\n') + 1) + 1) + 1;
    int at = text.indexOf("\"verdict\":\"", line3) + 11;
    bytes[at] = (byte) (bytes[at] == 'P' ? 'F' : 'P'); // PASS <-> FAIL
    Files.write(victim, bytes);
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok());
    assertEquals(
        List.of(
            victim.getFileName()
                + " line 4: hash mismatch: the record was changed, or a record before it was"
                + " removed or changed"),
        r.problems());
  }

  @Test
  void aRemovedLineIsFound() throws Exception {
    try (AuditLog log = open(1 << 20)) {
      write(log, 1, 50);
    }
    Path seg = AuditVerifier.segments(dir).get(0);
    List<String> lines = new ArrayList<>(Files.readAllLines(seg));
    lines.remove(10);
    Files.write(seg, lines);
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok());
    assertTrue(r.problems().get(0).contains("line 11: hash mismatch"), r.problems().toString());
  }

  @Test
  void aTornLastRecordAfterACrashIsReportedAndTheChainContinuesAfterRestart() throws Exception {
    AuditLog crashed = open(1 << 20);
    write(crashed, 1, 100);
    long until = System.nanoTime() + 5_000_000_000L;
    while (crashed.written() < 100 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    // Simulate the kill: half a record at the end, no close record.
    Path seg = AuditVerifier.segments(dir).get(0);
    Files.writeString(seg, "{\"n\":101,\"cam\":\"cam-1\",\"fra", StandardOpenOption.APPEND);
    AuditVerifier.Report before = AuditVerifier.verify(dir, null);
    assertTrue(before.ok(), before.problems().toString());
    assertEquals(100, before.records());
    assertTrue(
        before.notes().stream().anyMatch(n -> n.contains("last line torn")),
        before.notes().toString());
    // The crashed writer is abandoned (its thread is a daemon); a restarted service continues.
    try (AuditLog restarted = open(1 << 20)) {
      write(restarted, 101, 150);
    }
    AuditVerifier.Report after = AuditVerifier.verify(dir, null);
    assertTrue(after.ok(), after.problems().toString());
    assertEquals(150, after.records());
    assertEquals(150, after.lastRecord());
  }

  @Test
  void aFailingDiskIsCountedAndAlarmedNeverWaitedForAndRecoversByItself() throws Exception {
    try (AuditLog log = open(4096)) {
      write(log, 1, 20);
      long until = System.nanoTime() + 5_000_000_000L;
      while (log.written() < 20 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      // The "disk" goes away: the directory is replaced by a file, so no segment can be opened.
      Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
      Files.move(dir, moved);
      Files.writeString(dir, "not a directory");
      long t0 = System.nanoTime();
      write(log, 21, 400); // several rotations' worth at 4 KiB segments
      assertTrue(
          System.nanoTime() - t0 < 3_000_000_000L, "writing verdicts never waits for the disk");
      until = System.nanoTime() + 5_000_000_000L;
      while ((log.writeErrors() == 0 || log.lost() == 0 || log.backlog() > 0)
          && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertTrue(log.writeErrors() > 0, "write errors counted");
      assertTrue(log.lost() > 0, "records in hand counted as lost");
      assertTrue(log.lastError() != null);
      // The disk comes back: the writer reopens a segment by itself and records flow again.
      Files.delete(dir);
      Files.move(moved, dir);
      long before = log.written();
      Thread.sleep(1_500);
      write(log, 401, 420);
      until = System.nanoTime() + 5_000_000_000L;
      while (log.written() < before + 20 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertTrue(log.written() >= before + 20, "recovered: " + log.written() + " after " + before);
      assertEquals(
          420, log.written() + log.lost() + log.dropped(), "every verdict written or counted");
    }
  }

  /**
   * The verdicts behind {@code legacy-audit-0000000001.jsonl} (written by the pre-Jackson code).
   */
  private static void writeLegacySequence(AuditLog log) throws InterruptedException {
    TestVerdict v = new TestVerdict();
    ModelInfo model = new ModelInfo("demo-defects", "1", "52195a3e", 0.5f);
    for (int i = 1; i <= 6; i++) {
      long now = System.nanoTime();
      v.part(
          "cam-" + (i % 2 + 1),
          i,
          i % 3 == 0 ? Verdict.FAIL : Verdict.PASS,
          1_764_633_600_000_000L + i,
          now - 5_000_000);
      v.reason = i == 5 ? ReasonCode.DEADLINE : ReasonCode.NONE;
      v.score = i == 5 ? Float.NaN : i == 4 ? 0.00001f : v.score;
      v.model = i == 6 ? null : model;
      log.onVerdict(v);
    }
    long until = System.nanoTime() + 5_000_000_000L;
    while (log.written() < 6 && System.nanoTime() < until) {
      Thread.sleep(1);
    }
    log.rejectOutcome("plc", "cam-1", 3, "DELIVERED");
  }

  private static LongSupplier legacyClock() {
    long[] t = {1_764_633_600_000_000L};
    return () -> t[0]++;
  }

  private static String legacyFixture() throws Exception {
    try (InputStream in = AuditLogTest.class.getResourceAsStream("legacy-audit-0000000001.jsonl")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** What differs between two runs of the same verdicts: receipt times, hence hashes. */
  private static String unstable(String trail) {
    return trail
        .replaceAll("\"receivedUs\":\\d+", "\"receivedUs\":R")
        .replaceAll("\"hash\":\"[0-9a-f]{64}\"", "\"hash\":\"H\"");
  }

  @Test
  void recordsKeepTheByteFormatOfExistingTrailsAndContinueTheirChain() throws Exception {
    String legacy = legacyFixture();
    Path fresh = dir.resolve("fresh");
    try (AuditLog log = new AuditLog(config(1 << 20), fresh, legacyClock())) {
      writeLegacySequence(log);
    }
    String now = Files.readString(AuditVerifier.segments(fresh).get(0), StandardCharsets.UTF_8);
    assertEquals(unstable(legacy), unstable(now), "same verdicts, same bytes");

    Path continued = dir.resolve("continued");
    Files.createDirectories(continued);
    Files.writeString(continued.resolve("audit-0000000001.jsonl"), legacy);
    AuditVerifier.Report before = AuditVerifier.verify(continued, null);
    assertTrue(before.ok(), before.problems().toString());
    assertEquals(7, before.records());
    try (AuditLog log = new AuditLog(config(1 << 20), continued, legacyClock())) {
      writeLegacySequence(log);
    }
    AuditVerifier.Report after = AuditVerifier.verify(continued, null);
    assertTrue(after.ok(), after.problems().toString());
    assertEquals(2, after.segments());
    assertEquals(14, after.records());
    assertEquals(14, after.lastRecord());
  }

  @Test
  void quotesBackslashesNewlinesAndUnicodeRoundTripAndTheChainVerifies() throws Exception {
    String camera = "cam \"east\" \\ 1";
    String label = "scratch \"deep\"\\\n\tnext line, Prüfung 検査 \u2603 \u0001";
    String detail = "BAD_IMAGE: JPEG \"SOF\" says 0×0\r\nat C:\\line\\ — ünreadable";
    TestVerdict v = new TestVerdict();
    v.model = new ModelInfo("demo-\"defects\"", "1\\2", "52195a3e", 0.5f);
    try (AuditLog log = open(1 << 20)) {
      v.part(camera, 1, Verdict.FAIL, 0, System.nanoTime());
      v.label = label;
      v.reason = ReasonCode.BAD_IMAGE;
      v.detail = detail;
      log.onVerdict(v);
      v.part("cam-2", 2, Verdict.PASS, 0, System.nanoTime());
      v.label = null;
      v.reason = ReasonCode.NONE;
      v.detail = null;
      log.onVerdict(v);
      log.rejectOutcome("plc \"A\"", camera, 1, "DELIVERED");
    }
    List<String> records = new ArrayList<>();
    AuditVerifier.Report r = AuditVerifier.verify(dir, records::add);
    assertTrue(r.ok(), r.problems().toString());
    assertEquals(3, r.records());
    List<String> lines = Files.readAllLines(AuditVerifier.segments(dir).get(0));
    assertEquals(5, lines.size(), "one line per record, newlines escaped: " + lines);
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(1));
    assertEquals(camera, first.path("cam").asText());
    assertEquals(label, first.path("label").asText());
    assertEquals(detail, first.path("detail").asText());
    assertEquals("BAD_IMAGE", first.path("reason").asText());
    assertEquals("demo-\"defects\"", first.path("model").asText());
    assertEquals("1\\2", first.path("version").asText());
    JsonNode second = json.readTree(lines.get(2));
    assertFalse(second.has("detail"), "no detail field without a detail: " + lines.get(2));
    JsonNode reject = json.readTree(lines.get(3));
    assertEquals(camera, reject.path("cam").asText());
    assertEquals("plc \"A\"", reject.path("actuator").asText());
  }
}
