package io.lineinspect.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention deletes segments and says so in the chain; a segment deleted by hand fails verify. */
class AuditRetentionTest {
  @TempDir Path dir;

  /** 4 KiB segments (about 8 records each), at most 3 of them kept. */
  private static AuditConfig config() {
    return new AuditConfig(true, "unused", "interval", 100, 4096L, 3600, 3 * 4096L, 1024);
  }

  private static void write(AuditLog log, long from, long to) throws InterruptedException {
    TestVerdict v = new TestVerdict();
    for (long i = from; i <= to; i++) {
      log.onVerdict(v.part("cam-1", i, Verdict.PASS, 0, System.nanoTime() - 1_000_000));
    }
    long until = System.nanoTime() + 20_000_000_000L;
    while (log.written() < to - from + 1 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(to - from + 1, log.written());
  }

  private void writeTrail(long records) throws Exception {
    try (AuditLog log = new AuditLog(config(), dir, RejectScheduler::systemEpochMicros)) {
      write(log, 1, records);
    }
  }

  @Test
  void shouldRecordWhatRetentionDeletedAndVerifyTheRestFromTheOldestSegmentKept() throws Exception {
    long t0 = RejectScheduler.systemEpochMicros();
    writeTrail(300);
    // A restart, then more: retention picks up what it deleted before from the chain.
    try (AuditLog log = new AuditLog(config(), dir, RejectScheduler::systemEpochMicros)) {
      write(log, 301, 400);
      assertTrue(log.retentionDeleted() > 0);
    }
    long t1 = RejectScheduler.systemEpochMicros();
    List<Path> kept = AuditVerifier.segments(dir);
    long oldest = AuditVerifier.segmentNumber(kept.get(0));
    assertTrue(oldest > 10, "retention deleted segments: oldest kept " + oldest);

    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertTrue(r.ok(), r.problems().toString());
    AuditVerifier.Retention deleted = r.retention();
    assertNotNull(deleted, "the retention line naming the deleted segments");
    assertEquals(1, deleted.firstSegment());
    assertEquals(oldest - 1, deleted.lastSegment());
    assertEquals(1, deleted.firstRecord());
    assertEquals(r.firstRecord() - 1, deleted.lastRecord(), "the kept records follow on");
    assertEquals(400, r.lastRecord());
    assertEquals(400 - deleted.lastRecord(), r.records());
    assertTrue(t0 <= deleted.fromUs() && deleted.fromUs() <= deleted.toUs(), deleted.toString());
    assertTrue(deleted.firstAtUs() <= deleted.atUs() && deleted.atUs() <= t1, deleted.toString());
    String expected =
        "segments 1-"
            + (oldest - 1)
            + " (audit-0000000001.jsonl to "
            + AuditVerifier.fileName(oldest - 1)
            + ") deleted by retention between "
            + AuditVerifier.instant(deleted.firstAtUs())
            + " and "
            + AuditVerifier.instant(deleted.atUs())
            + " (records 1-"
            + deleted.lastRecord()
            + ", "
            + AuditVerifier.instant(deleted.fromUs())
            + " to "
            + AuditVerifier.instant(deleted.toUs())
            + "); the chain is checked from "
            + kept.get(0).getFileName();
    assertTrue(
        r.notes().stream().anyMatch(n -> n.startsWith(expected)), expected + "\n" + r.notes());
  }

  @Test
  void shouldFailWhenTheFirstSegmentWasDeletedByHand() throws Exception {
    try (AuditLog log =
        new AuditLog(
            new AuditConfig(true, "unused", "interval", 100, 4096L, 3600, 1L << 30, 1024),
            dir,
            RejectScheduler::systemEpochMicros)) {
      write(log, 1, 40);
    }
    Files.delete(AuditVerifier.segments(dir).get(0));
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok(), "a missing first segment is not retention: " + r.notes());
    assertEquals(
        List.of(
            "segment 1 (audit-0000000001.jsonl) missing, and no retention line in the chain names"
                + " it: deleted by hand, not by retention (or by a version that did not yet record"
                + " retention)"),
        r.problems());
  }

  @Test
  void shouldFailWhenASegmentRetentionKeptWasDeletedByHand() throws Exception {
    writeTrail(300);
    List<Path> kept = AuditVerifier.segments(dir);
    Files.delete(kept.get(0)); // the oldest one retention kept
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok());
    assertTrue(
        r.problems().get(0).startsWith("segments 1-" + AuditVerifier.segmentNumber(kept.get(0))),
        r.problems().toString());
    assertTrue(r.problems().get(0).contains("deleted by hand"), r.problems().toString());
  }

  @Test
  void shouldFailWhenASegmentBetweenTwoKeptWasDeletedByHand() throws Exception {
    writeTrail(300);
    List<Path> kept = AuditVerifier.segments(dir);
    Files.delete(kept.get(1));
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok());
    long gone = AuditVerifier.segmentNumber(kept.get(1));
    assertEquals(
        List.of(
            "segment "
                + gone
                + " ("
                + kept.get(1).getFileName()
                + ") missing between "
                + kept.get(0).getFileName()
                + " and "
                + kept.get(2).getFileName()
                + ": retention only deletes the oldest segments, so this was deleted by hand (or"
                + " lost)"),
        r.problems());
  }

  @Test
  void shouldFailWhenTheStartOfTheOldestSegmentKeptWasCut() throws Exception {
    writeTrail(300);
    Path oldest = AuditVerifier.segments(dir).get(0);
    List<String> lines = Files.readAllLines(oldest);
    Files.write(oldest, lines.subList(1, lines.size()));
    AuditVerifier.Report r = AuditVerifier.verify(dir, null);
    assertFalse(r.ok());
    assertTrue(
        r.problems().get(0).startsWith(oldest.getFileName() + " line 1: does not continue"),
        r.problems().toString());
  }
}
