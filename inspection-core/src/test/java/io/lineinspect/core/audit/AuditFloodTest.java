package io.lineinspect.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One camera flooding the audit beside a real one (issue 18): the writer is held still while the
 * queue fills, as behind a slow disk, so the test does not depend on how fast this box is.
 */
class AuditFloodTest {
  @TempDir Path dir;

  private static final String FLOOD = "cam \"flood\" \\ 2";
  private static final String REAL = "cam-real";

  private static AuditConfig config() {
    return new AuditConfig(true, "unused", "interval", 100, 1L << 20, 3600, 1L << 30, 1024);
  }

  private static void waitDrained(AuditLog log) throws InterruptedException {
    long until = System.nanoTime() + 20_000_000_000L;
    while (log.backlog() > 0 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(0, log.backlog(), "the writer drained the queue");
  }

  @Test
  void shouldKeepEveryRecordOfARealCameraBesideAFloodAndRecordTheFloodsGaps() throws Exception {
    int rounds = 3;
    int floodPerRound = 5_000;
    int realPerRound = 100;
    long floodOffered = 0;
    try (AuditLog log = new AuditLog(config(), dir, RejectScheduler::systemEpochMicros)) {
      TestVerdict v = new TestVerdict();
      long realFrame = 0;
      long floodFrame = 0;
      for (int round = 0; round < rounds; round++) {
        log.holdWriter(true); // the disk stalls
        for (int i = 0; i < floodPerRound; i++) {
          // As in the attack: the real camera streams (its first frame comes right after the
          // flood's first), the flood sends 50 frames to each of its frames.
          log.onVerdict(
              v.part(FLOOD, ++floodFrame, Verdict.FAIL, 0, System.nanoTime() - 1_000_000));
          floodOffered++;
          if (i % 50 == 0) {
            log.onVerdict(
                v.part(REAL, ++realFrame, Verdict.PASS, 0, System.nanoTime() - 1_000_000));
            if (realFrame % 10 == 0) {
              log.rejectOutcome("plc", REAL, realFrame, "DELIVERED");
            }
          }
          if (i % 100 == 0) {
            log.rejectOutcome("plc", FLOOD, floodFrame, "QUEUE_FULL");
            floodOffered++;
          }
        }
        log.holdWriter(false);
        waitDrained(log);
      }
      assertEquals(rounds * realPerRound, realFrame);
      assertEquals(0L, log.droppedByCamera().get(REAL), "the real camera lost nothing");
      long floodDropped = log.droppedByCamera().get(FLOOD);
      assertTrue(floodDropped > floodOffered / 2, "the flood was cut: " + floodDropped);
      assertEquals(floodDropped, log.dropped(), "every drop is the flood's");
    }

    List<String> records = new ArrayList<>();
    AuditVerifier.Report r = AuditVerifier.verify(dir, records::add);
    assertTrue(r.ok(), r.problems().toString());
    ObjectMapper json = new ObjectMapper();
    long real = 0;
    long realRejects = 0;
    long flood = 0;
    for (String rec : records) {
      JsonNode n = json.readTree(rec + "}");
      if (n.path("cam").asText().equals(REAL)) {
        if (n.path("type").asText().equals("record")) {
          real++;
        } else {
          realRejects++;
        }
      } else {
        assertEquals(FLOOD, n.path("cam").asText());
        flood++;
      }
    }
    assertEquals(rounds * realPerRound, real, "every verdict of the real camera is recorded");
    assertEquals(rounds * realPerRound / 10, realRejects, "and every reject outcome");
    assertTrue(r.dropped() > 0, "the gaps are in the chain");
    assertEquals(floodOffered, flood + r.dropped(), "every flood record written or in a gap");
    assertTrue(r.gaps().size() >= 1, r.gaps().toString()); // rounds in quick succession may merge
    for (AuditVerifier.Gap g : r.gaps()) {
      assertEquals(FLOOD, g.camera(), "the camera id with quotes and a backslash parses");
      assertTrue(g.fromUs() > 0 && g.fromUs() <= g.toUs(), g.toString());
    }
    assertTrue(
        r.notes().stream()
            .anyMatch(
                n ->
                    n.startsWith("camera " + FLOOD + ": " + r.dropped() + " records dropped")
                        && n.contains(" gap(s) between ")),
        r.notes().toString());
    long gapLines =
        AuditVerifier.segments(dir).stream()
            .flatMap(
                p -> {
                  try {
                    return Files.readAllLines(p).stream();
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                })
            .filter(l -> l.contains(",\"type\":\"dropped\","))
            .count();
    assertEquals(r.gaps().size(), gapLines);
  }
}
