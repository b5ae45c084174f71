package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogSetupTest {
  private static LogRecord record(Level level, String msg, long ms) {
    LogRecord r = new LogRecord(level, msg);
    r.setLoggerName("plc");
    r.setInstant(java.time.Instant.ofEpochMilli(ms));
    return r;
  }

  @Test
  void repeatedWarningsAreLoggedOncePerWindowWithTheirCount() {
    LogSetup.Dedup d = new LogSetup.Dedup(10_000);
    assertTrue(d.isLoggable(record(Level.WARNING, "cannot connect to {0}", 0)));
    for (int i = 1; i <= 500; i++) {
      assertFalse(d.isLoggable(record(Level.WARNING, "cannot connect to {0}", i * 10)));
    }
    assertTrue(
        d.isLoggable(record(Level.INFO, "cannot connect to {0}", 20)), "INFO is never held back");
    assertTrue(d.isLoggable(record(Level.WARNING, "another problem", 30)), "other messages pass");
    LogRecord part1 = record(Level.WARNING, "MISSED REJECT part {0}", 40);
    part1.setParameters(new Object[] {"cam-1#7"});
    LogRecord part2 = record(Level.WARNING, "MISSED REJECT part {0}", 41);
    part2.setParameters(new Object[] {"cam-1#8"});
    assertTrue(d.isLoggable(part1));
    assertTrue(d.isLoggable(part2), "each part's miss keeps its own line");
    LogRecord next = record(Level.WARNING, "cannot connect to {0}", 10_001);
    assertTrue(d.isLoggable(next));
    assertEquals(
        "cannot connect to {0} [repeated 500 more times in the last 10 s]", next.getMessage());
  }

  @Test
  void jsonLinesAreValidJson() throws Exception {
    LogRecord r = record(Level.SEVERE, "disk \"full\"\non {0}", 1_795_000_000_000L);
    r.setParameters(new Object[] {"/var/audit"});
    r.setThrown(new java.io.IOException("No space left on device"));
    String line = new LogSetup.JsonFormatter().format(r);
    assertTrue(line.endsWith("}\n"));
    JsonNode j = new ObjectMapper().readTree(line);
    assertEquals("SEVERE", j.get("level").asText());
    assertEquals("disk \"full\"\non /var/audit", j.get("msg").asText());
    assertEquals("java.io.IOException: No space left on device", j.get("error").asText());
  }
}
