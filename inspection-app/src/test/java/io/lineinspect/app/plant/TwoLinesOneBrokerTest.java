package io.lineinspect.app.plant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.core.config.ModuleSection;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.config.WarmupConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.plant.KafkaExportConfig;
import io.lineinspect.plant.PlantView;
import io.lineinspect.plant.TestBroker;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two lines' services publish into one broker (KRaft, in this JVM, loopback) while their cameras
 * run; the plant view reports both and verifies both audit chains from Kafka.
 */
class TwoLinesOneBrokerTest {
  private static ServiceConfig line(String id, Path dir, String bootstrap) {
    ServiceConfig c = DemoConfigs.onLoopback(DemoConfigs.load(), "builtin", 0);
    KafkaExportConfig k =
        new KafkaExportConfig(
            true,
            bootstrap,
            id,
            null,
            dir.resolve("spool").toString(),
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    return c.withWarmup(WarmupConfig.off())
        .withAudit(
            new io.lineinspect.core.config.AuditConfig(
                true, dir.resolve("audit").toString(), null, null, null, null, null, null))
        .withArchive(
            new io.lineinspect.core.config.ArchiveConfig(
                true, dir.resolve("archive").toString(), 0, null, null))
        .withKafka(ModuleSection.of(ServiceConfig.KAFKA, k));
  }

  @Test
  @SuppressWarnings("unchecked")
  void thePlantViewReportsBothLinesAndVerifiesBothChains(@TempDir Path dir) throws Exception {
    try (TestBroker broker = new TestBroker()) {
      long[] verdicts = new long[2];
      try (InspectionService a =
              new InspectionService(line("line-a", dir.resolve("a"), broker.bootstrap()), dir);
          InspectionService b =
              new InspectionService(line("line-b", dir.resolve("b"), broker.bootstrap()), dir)) {
        int pa = a.start();
        int pb = b.start();
        PrintStream quiet =
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        SimulatedCamera.Settings s =
            new SimulatedCamera.Settings(128, 128, PixelFormat.MONO8, 40, 0.3, 3);
        Thread other =
            new Thread(
                () -> {
                  try {
                    verdicts[1] =
                        new SimRun("127.0.0.1", pb, 2, s, 3, quiet)
                            .run(() -> "")
                            .stats()
                            .verdicts();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        other.start();
        verdicts[0] = new SimRun("127.0.0.1", pa, 2, s, 3, quiet).run(() -> "").stats().verdicts();
        other.join();
        // Completeness, not speed: on a loaded CI box the idempotent producer was seen retrying
        // (OutOfOrderSequenceException on the broker) for more than 20 s before it drained.
        assertTrue(a.kafka().awaitDrained(60_000), "line-a exported everything");
        assertTrue(b.kafka().awaitDrained(60_000), "line-b exported everything");
      }
      Map<String, Object> report =
          PlantView.read(
              new PlantView.Options(
                  broker.bootstrap(), "lineinspect", List.of(), null, null, 20_000, Map.of()));
      System.out.print(PlantView.text(report));
      List<Object> lines = (List<Object>) report.get("lines");
      assertEquals(2, lines.size());
      for (int i = 0; i < 2; i++) {
        Map<String, Object> l = (Map<String, Object>) lines.get(i);
        assertEquals(i == 0 ? "line-a" : "line-b", l.get("line"));
        assertEquals(verdicts[i], l.get("verdicts"), String.valueOf(l));
        assertEquals(
            "VERIFIED", ((Map<String, Object>) l.get("chain")).get("status"), String.valueOf(l));
        assertEquals(2, ((List<Object>) l.get("cameras")).size());
        assertTrue(((List<Object>) l.get("modelEvents")).size() >= 1, "the served model");
      }
      assertEquals(Boolean.TRUE, report.get("chainsVerified"));
    }
  }
}
