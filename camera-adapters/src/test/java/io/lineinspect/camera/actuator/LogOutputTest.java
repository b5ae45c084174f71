package io.lineinspect.camera.actuator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.NanoClock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The dry-run output: logs each reject at its fire time and counts it like a real one. */
class LogOutputTest {
  @Test
  void logsEachRejectAtItsFireTimeAndCountsIt() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    Logger jul = Logger.getLogger(LogOutput.class.getName());
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            lines.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    jul.addHandler(h);
    try {
      ActuatorMetrics metrics = new ActuatorMetrics();
      try (RejectScheduler s =
          new RejectScheduler(
              new RejectTimingConfig(10.0, 0.0, "receipt", 20.0, 20.0, null, null, 64),
              List.of(new LogOutput(new LogOutputConfig("dry-run", false))),
              metrics,
              NanoClock.SYSTEM,
              RejectScheduler::systemEpochMicros)) {
        TestVerdict v = new TestVerdict();
        s.onVerdict(v.part("cam-3", 41, Verdict.PASS, 0, System.nanoTime()));
        s.onVerdict(v.part("cam-3", 42, Verdict.FAIL, 0, System.nanoTime()));
        long until = System.nanoTime() + 5_000_000_000L;
        while (metrics.snapshot().outputs().getOrDefault("dry-run", null) == null
            || metrics.snapshot().outputs().get("dry-run").delivered() < 1) {
          if (System.nanoTime() > until) {
            break;
          }
          Thread.sleep(2);
        }
      }
      assertEquals(1, metrics.snapshot().outputs().get("dry-run").delivered());
      assertEquals(0, metrics.missed());
      assertTrue(
          lines.stream().anyMatch(l -> l.contains("[dry-run] REJECT cam-3#42")), lines.toString());
      assertTrue(lines.stream().noneMatch(l -> l.contains("cam-3#41")), "PASS parts not logged");
    } finally {
      jul.removeHandler(h);
    }
  }
}
