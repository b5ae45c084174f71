package io.lineinspect.plant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.testing.TestVerdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter against a real broker (KRaft, in this JVM, loopback): outages, restarts, a full
 * spool, and the plant view's chain verification.
 */
class KafkaExporterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ModelInfo MODEL = new ModelInfo("demo", "3", "ab".repeat(32), 0.5f);
  private static TestBroker broker;

  @TempDir Path tmp;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = new TestBroker();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    broker.close();
  }

  private static AuditConfig audit() {
    return new AuditConfig(true, "audit", "interval", 100, null, null, null, 8192);
  }

  /** A line: its audit trail feeding an exporter, both in {@code dir}. */
  private final class Line implements AutoCloseable {
    final KafkaExporter exporter;
    final AuditLog audit;

    Line(String id, Path dir, KafkaExportConfig config) throws Exception {
      exporter =
          new KafkaExporter(
              config, id, dir.resolve("spool"), dir.resolve("audit"), KafkaExporterTest::nowUs);
      audit = new AuditLog(audit(), dir.resolve("audit"), KafkaExporterTest::nowUs, exporter);
    }

    /** {@code n} verdicts per camera, frames {@code from..from+n-1}, every 7th a FAIL. */
    void verdicts(int from, int n, String... cameras) {
      feed(audit, from, n, cameras);
      assertEquals(0, audit.dropped());
    }

    @Override
    public void close() {
      audit.close();
      exporter.close();
    }
  }

  /** {@code n} verdicts per camera into {@code audit}, frames {@code from..from+n-1}. */
  static void feed(AuditLog audit, int from, int n, String... cameras) {
    TestVerdict v = new TestVerdict();
    v.model = MODEL;
    for (int i = from; i < from + n; i++) {
      for (String cam : cameras) {
        v.cameraId = cam;
        v.sequence = i;
        v.receivedNs = System.nanoTime();
        v.emittedNs = v.receivedNs + 3_000_000;
        v.verdict = i % 7 == 0 ? Verdict.FAIL : Verdict.PASS;
        v.reason = i % 50 == 0 ? ReasonCode.DEADLINE : ReasonCode.NONE;
        v.score = i % 7 == 0 ? 0.9f : 0.1f;
        audit.onVerdict(v);
        if (v.verdict == Verdict.FAIL) {
          audit.rejectOutcome("plc", cam, i, i % 49 == 0 ? "LATE" : "DELIVERED");
        }
      }
      if (i % 200 == 0) {
        while (audit.backlog() > 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
    }
  }

  /**
   * The child process of {@link #aServiceKilledWhileTheBrokerIsDownDrainsItsSpoolOnRestart}: a line
   * on {@code args[0]} exporting to {@code args[1]} feeds frames {@code args[2]..+args[3]} of two
   * cameras, says FED once the audit trail wrote them, and waits to be killed.
   */
  static final class Killed {
    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      KafkaExporter exporter =
          new KafkaExporter(
              KafkaExportConfig.to(args[1]),
              "killed",
              dir.resolve("spool"),
              dir.resolve("audit"),
              KafkaExporterTest::nowUs);
      AuditLog audit =
          new AuditLog(audit(), dir.resolve("audit"), KafkaExporterTest::nowUs, exporter);
      feed(audit, Integer.parseInt(args[2]), Integer.parseInt(args[3]), "cam-1", "cam-2");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (audit.backlog() > 0 && System.nanoTime() < until) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      Thread.sleep(500); // the exporter's spool thread appends what the trail handed it
      System.out.println("FED " + exporter.spoolRecords() + " " + audit.dropped());
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(2)); // bounded: the test kills it long before
    }
  }

  static long nowUs() {
    return System.currentTimeMillis() * 1000;
  }

  private static KafkaExportConfig config() {
    return KafkaExportConfig.to(broker.bootstrap());
  }

  /** Frames per camera on the verdicts topic, in partition order. */
  private static Map<String, List<Long>> framesByCamera(String line) throws Exception {
    Map<String, List<Long>> m = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestBroker.readAll(broker.bootstrap(), "lineinspect." + line + ".verdicts")) {
      JsonNode a = JSON.readTree(r.value()).path("audit");
      m.computeIfAbsent(a.path("cam").asText(), k -> new ArrayList<>())
          .add(a.path("frame").asLong());
    }
    return m;
  }

  private static Map<String, Object> plant(String... lines) {
    return PlantView.read(
        new PlantView.Options(
            broker.bootstrap(), "lineinspect", List.of(lines), null, null, 20_000, Map.of()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lineReport(Map<String, Object> report, int i) {
    return (Map<String, Object>) ((List<Object>) report.get("lines")).get(i);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> chain(Map<String, Object> line) {
    return (Map<String, Object>) line.get("chain");
  }

  private static void assertEveryFrameOnceInOrder(Map<String, List<Long>> frames, int n) {
    for (Map.Entry<String, List<Long>> e : frames.entrySet()) {
      List<Long> want = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        want.add(i);
      }
      assertEquals(want, e.getValue(), "frames of " + e.getKey() + " once each, in order");
    }
  }

  @Test
  void everyVerdictArrivesOnceInOrderPerCameraWhenTheBrokerStopsAndRestartsMidRun()
      throws Exception {
    try (Line line = new Line("outage", tmp, config())) {
      line.verdicts(0, 300, "cam-1", "cam-2", "cam-3");
      assertTrue(line.exporter.awaitDrained(20_000), "delivered before the outage");
      broker.stop();
      long t0 = System.nanoTime();
      line.verdicts(300, 700, "cam-1", "cam-2", "cam-3");
      // the line goes on at full speed: feeding 2100 verdicts never waited for the broker
      long feedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!line.exporter.outage() && System.nanoTime() < until) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // 3 s without an ack
      }
      assertTrue(line.exporter.outage(), "the outage was noticed");
      assertTrue(line.exporter.spoolRecords() >= 2100, "spooled: " + line.exporter.spoolRecords());
      long spooledBytes = line.exporter.spoolBytes();
      broker.restart();
      assertTrue(line.exporter.awaitDrained(30_000), "drained after the broker returned");
      long[] o = line.exporter.lastOutage();
      System.out.printf(
          "outage: feed of 2100 verdicts with the broker down took %d ms; spool %d records, %d"
              + " bytes; outage %d ms, drained in %d ms%n",
          feedMs, o[1], spooledBytes, o[0], o[3]);
    }
    Map<String, List<Long>> frames = framesByCamera("outage");
    assertEquals(3, frames.size());
    assertEveryFrameOnceInOrder(frames, 1000);
    Map<String, Object> l = lineReport(plant("outage"), 0);
    assertEquals("VERIFIED", chain(l).get("status"), String.valueOf(l));
    assertEquals(3000L, l.get("verdicts"));
    assertEquals(0L, chain(l).get("duplicates"));
  }

  @Test
  void aRestartWhileTheBrokerIsDownResumesFromTheSpoolAndTheChainStaysWhole() throws Exception {
    try (Line line = new Line("restart", tmp, config())) {
      line.verdicts(0, 100, "cam-1");
      assertTrue(line.exporter.awaitDrained(20_000));
    }
    broker.stop();
    try {
      try (Line line = new Line("restart", tmp, config())) {
        line.verdicts(100, 400, "cam-1");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
      }
      // stopped with ~400 records in the spool; the next start sends them first
    } finally {
      broker.restart();
    }
    try (Line line = new Line("restart", tmp, config())) {
      assertTrue(line.exporter.spoolRecords() >= 400, "resumed: " + line.exporter.spoolRecords());
      line.verdicts(500, 100, "cam-1");
      assertTrue(line.exporter.awaitDrained(30_000));
    }
    assertEveryFrameOnceInOrder(framesByCamera("restart"), 600);
    Map<String, Object> l = lineReport(plant("restart"), 0);
    assertEquals("VERIFIED", chain(l).get("status"), String.valueOf(l));
    assertEquals(600L, l.get("verdicts"));
  }

  @Test
  void aServiceKilledWhileTheBrokerIsDownDrainsItsSpoolOnRestart() throws Exception {
    try (Line line = new Line("killed", tmp, config())) {
      line.verdicts(0, 100, "cam-1", "cam-2");
      assertTrue(line.exporter.awaitDrained(20_000));
    }
    broker.stop();
    try {
      // a real process, SIGKILLed (destroyForcibly) with its records in the spool, never closed
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  Killed.class.getName(),
                  tmp.toString(),
                  broker.bootstrap(),
                  "100",
                  "400")
              .redirectErrorStream(true)
              .start();
      String fed = null;
      try (java.io.BufferedReader out =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(
                  p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder seen = new StringBuilder();
        for (String l; System.nanoTime() < until && (l = out.readLine()) != null; ) {
          seen.append(l).append('\n');
          if (l.startsWith("FED ")) {
            fed = l;
            break;
          }
        }
        p.destroyForcibly();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the child died");
        assertTrue(fed != null, "the child fed its verdicts: " + seen);
      }
      System.out.println("killed child: " + fed);
      assertEquals(" 0", fed.substring(fed.lastIndexOf(' ')), "child audit drops: " + fed);
    } finally {
      broker.restart();
    }
    try (Line line = new Line("killed", tmp, config())) {
      assertTrue(line.exporter.spoolRecords() >= 800, "resumed: " + line.exporter.spoolRecords());
      line.verdicts(500, 100, "cam-1", "cam-2");
      assertTrue(line.exporter.awaitDrained(30_000));
    }
    Map<String, List<Long>> frames = framesByCamera("killed");
    assertEquals(2, frames.size());
    assertEveryFrameOnceInOrder(frames, 600);
    Map<String, Object> l = lineReport(plant("killed"), 0);
    assertEquals("VERIFIED", chain(l).get("status"), String.valueOf(l));
    assertEquals(1200L, l.get("verdicts"));
    assertEquals(0L, chain(l).get("duplicates"));
  }

  @Test
  void aFullSpoolIsCountedAlarmedAndRecordedAsAGapNeverDroppingTheOldest() throws Exception {
    KafkaExportConfig small = config().withSpoolMaxBytes(1 << 20);
    broker.stop();
    long refused;
    try {
      try (Line line = new Line("full", tmp, small)) {
        line.verdicts(0, 4000, "cam-1");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        refused = line.exporter.refused();
        assertTrue(refused > 0, "the spool filled up");
        assertTrue(line.exporter.alarmActive());
        assertTrue(line.exporter.spoolBytes() <= 1 << 20);
      }
    } finally {
      broker.restart();
    }
    try (Line line = new Line("full", tmp, small)) {
      line.verdicts(4000, 10, "cam-1");
      assertTrue(line.exporter.awaitDrained(30_000));
    }
    List<Long> frames = framesByCamera("full").get("cam-1");
    // the oldest were kept: frames 0.. in order, then the gap, then the new ones
    assertEquals(0L, frames.get(0));
    for (int i = 1; i < frames.size(); i++) {
      assertTrue(frames.get(i) > frames.get(i - 1));
    }
    Map<String, Object> l = lineReport(plant("full"), 0);
    assertEquals("GAPS", chain(l).get("status"), String.valueOf(l));
    assertTrue((Long) chain(l).get("gapRecords") >= refused, String.valueOf(l));
  }

  @Test
  void thePlantViewFindsARecordAlteredOnTheWay() throws Exception {
    try (Line line = new Line("tamper", tmp, config())) {
      line.verdicts(0, 50, "cam-1");
      assertTrue(line.exporter.awaitDrained(20_000));
    }
    assertEquals("VERIFIED", chain(lineReport(plant("tamper"), 0)).get("status"));
    ConsumerRecord<byte[], byte[]> r =
        TestBroker.readAll(broker.bootstrap(), "lineinspect.tamper.verdicts").get(10);
    String forged =
        new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"verdict\":\"FAIL\"", "\"verdict\":\"PASS\"")
            .replace("\"frame\":", "\"frame\":1");
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", broker.bootstrap());
    try (KafkaProducer<byte[], byte[]> pr =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      pr.send(new ProducerRecord<>(r.topic(), r.key(), forged.getBytes())).get();
    }
    Map<String, Object> l = lineReport(plant("tamper"), 0);
    assertEquals("BROKEN", chain(l).get("status"), String.valueOf(l));
    assertEquals(1L, chain(l).get("altered"));
    assertFalse((Boolean) plant("tamper").get("chainsVerified"));
  }
}
