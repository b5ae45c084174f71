package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.actuator.TcpLineOutputConfig;
import io.lineinspect.core.config.ActuatorsConfig;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.config.WarmupConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.quality.QualityLimits;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm start: synthetic parts go through the whole pipeline before any camera is accepted,
 * leave no trace in the audit, metrics, archive, drift or at an actuator output, and leave the path
 * warm enough that a camera's first frames are judged as fast as its later ones.
 */
class WarmStartTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Short rounds, so the builtin backend's warm-up takes about a second. */
  private static final WarmupConfig QUICK =
      new WarmupConfig(true, null, 160, 120, 24, 3, 20.0, 10_000);

  private static ServiceConfig demo() {
    return DemoConfigs.load();
  }

  private static ServiceConfig builtin(ServiceConfig c, int cameraPort) {
    return DemoConfigs.onLoopback(c, "builtin", cameraPort).withWarmup(QUICK);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void shouldNeitherAcceptACameraNorAnswerReadyUntilTheWarmUpIsDone() throws Exception {
    int cameraPort = freePort();
    ServiceConfig cfg =
        builtin(demo(), cameraPort).withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    CountDownLatch inWarmUp = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> startFailed = new AtomicReference<>();
    try (InspectionService service =
        new InspectionService(cfg, Path.of(".."), b -> new HeldBackend(b, inWarmUp, release))) {
      Thread starter =
          new Thread(
              () -> {
                try {
                  service.start();
                } catch (Throwable e) {
                  startFailed.set(e);
                }
              },
              "test-start");
      starter.start();
      assertTrue(
          inWarmUp.await(60, TimeUnit.SECONDS),
          "synthetic parts reach the model through the pipeline before the service is ready");
      // Held inside a warm-up batch: the service must not be reachable for cameras yet.
      assertFalse(service.ready());
      assertThrows(
          ConnectException.class,
          () -> new Socket("127.0.0.1", cameraPort).close(),
          "the camera port is not open during the warm-up");
      int admin = awaitAdminPort(service);
      HttpResponse<String> ready = get(admin, "/ready");
      assertEquals(503, ready.statusCode(), ready.body());
      release.countDown();
      starter.join(60_000);
      assertEquals(null, startFailed.get());
      assertTrue(service.ready());
      assertEquals(200, get(admin, "/ready").statusCode());
      new Socket("127.0.0.1", cameraPort).close();
      assertNotNull(service.warmUp());
      assertTrue(service.warmUpMs() >= 0);
    } finally {
      release.countDown();
    }
  }

  @Test
  void warmUpVerdictsNeverReachTheAuditMetricsArchiveDriftOrAnActuatorOutput(@TempDir Path dir)
      throws Exception {
    ServiceConfig c = demo();
    try (ServerSocket plc = new ServerSocket(0)) {
      plc.setSoTimeout(10_000);
      ServiceConfig cfg =
          new ServiceConfig(
              c.line(),
              c.ingest().listeningOn("127.0.0.1", 0),
              c.pipeline(),
              DemoConfigs.inference(c, "builtin"),
              new ActuatorsConfig(
                  c.actuators().timing(),
                  List.of(
                      new TcpLineOutputConfig(
                          "line-io", "127.0.0.1", plc.getLocalPort(), true, null, null, null))),
              c.audit().inDir(dir.resolve("audit").toString()),
              new ArchiveConfig(true, dir.resolve("archive").toString(), 1, null, null),
              c.drift(),
              new AdminConfig(false, null, null),
              c.models(),
              c.quality(),
              QUICK);
      SimRun.Result seen;
      List<String> toPlc = new ArrayList<>();
      try (InspectionService service = new InspectionService(cfg, Path.of(".."))) {
        int port = service.start();
        // The warm-up judged parts, FAILs among them, through the whole path ...
        assertTrue(service.warmUp().frames() >= 3 * 24, service.warmUp().describe());
        assertTrue(service.warmUp().failVerdicts() > 0, service.warmUp().describe());
        assertEquals(0, service.warmUp().promiseBroken(), service.warmUp().describe());
        // ... and left nothing behind.
        PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
        assertEquals(0, m.verdicts(), "metrics: verdicts");
        assertEquals(0, m.published(), "metrics: frames published");
        assertEquals(0, m.batches(), "metrics: batches");
        assertEquals(0, m.stages().get(PipelineMetrics.StageName.INFERENCE).count());
        assertTrue(m.cameras().isEmpty(), m.cameras().toString());
        assertEquals(0, service.rejects().metrics().snapshot().verdicts(), "reject scheduler");
        assertEquals(0, service.rejects().metrics().snapshot().rejectsScheduled());
        assertEquals(0, service.archive().saved(), "archive");
        for (DriftMonitor.Feature f : DriftMonitor.Feature.values()) {
          assertEquals(0, service.drift().samples(f), "drift " + f);
        }
        Socket io = plc.accept();
        io.setSoTimeout(500);
        assertEquals("", readAll(io.getInputStream()), "nothing reached the actuator output");
        seen =
            new SimRun(
                    "127.0.0.1",
                    port,
                    1,
                    new SimulatedCamera.Settings(160, 120, PixelFormat.MONO8, 30, 0.3, 5),
                    2,
                    quiet())
                .run(() -> "");
        Thread.sleep(300);
        io.setSoTimeout(500);
        toPlc.addAll(readAll(io.getInputStream()).lines().toList());
        io.close();
        assertEquals(seen.stats().verdicts(), service.pipeline().metrics().snapshot().verdicts());
      }
      // The real camera's verdicts are all there, so the empty checks above were not vacuous.
      long verdictLines = toPlc.stream().filter(l -> l.startsWith("VERDICT")).count();
      assertEquals(seen.stats().verdicts(), verdictLines, String.join("\n", toPlc));
      assertTrue(toPlc.stream().noneMatch(l -> l.contains("warm-up")), "no warm-up at the PLC");
      List<String> audit = auditRecords(dir.resolve("audit"));
      assertEquals(seen.stats().verdicts(), audit.size(), "audit: exactly the camera's verdicts");
      assertTrue(audit.stream().noneMatch(l -> l.contains("warm-up")), "no warm-up record");
      try (Stream<Path> files = Files.walk(dir.resolve("archive"))) {
        List<Path> images = files.filter(Files::isRegularFile).toList();
        assertTrue(images.size() > 0, "the camera's images were archived");
        assertTrue(
            images.stream().noneMatch(p -> p.toString().contains("warm-up")), images.toString());
      }
    }
  }

  @Test
  void aCamerasFirstFramesAreJudgedAsFastAsItsLaterOnes(@TempDir Path dir) throws Exception {
    ServiceConfig c = demo();
    // The line's camera sends 256x256 MONO8: the warm-up is configured for exactly that.
    ServiceConfig cfg =
        builtin(c, 0)
            .withWarmup(new WarmupConfig(true, List.of("MONO8"), 256, 256, null, null, null, null))
            .withAudit(c.audit().inDir(dir.resolve("audit").toString()));
    try (InspectionService service = new InspectionService(cfg, Path.of(".."))) {
      int port = service.start();
      new SimRun(
              "127.0.0.1",
              port,
              1,
              new SimulatedCamera.Settings(256, 256, PixelFormat.MONO8, 30, 0.3, 9),
              4,
              quiet())
          .run(() -> "");
    }
    long[] latencyUs =
        auditRecords(dir.resolve("audit")).stream().mapToLong(WarmStartTest::latencyUs).toArray();
    assertTrue(latencyUs.length >= 100, "frames judged: " + latencyUs.length);
    long first = median(Arrays.copyOfRange(latencyUs, 0, 10));
    long later = median(Arrays.copyOfRange(latencyUs, 40, latencyUs.length));
    String figures =
        String.format(
            Locale.ROOT,
            "receipt to verdict, p50: first 10 frames %.2f ms, frames 41..%d %.2f ms (ratio %.2f)",
            first / 1000.0,
            latencyUs.length,
            later / 1000.0,
            (double) first / later);
    System.out.println("WarmStartTest: " + figures);
    assertTrue(first <= 3 * later, figures);
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static final Pattern LATENCY = Pattern.compile("\"latencyUs\":(\\d+)");

  private static long latencyUs(String record) {
    Matcher m = LATENCY.matcher(record);
    assertTrue(m.find(), record);
    return Long.parseLong(m.group(1));
  }

  /** The verdict records of an audit trail, in order. */
  private static List<String> auditRecords(Path dir) throws IOException {
    List<String> records = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
        Files.readAllLines(f).stream()
            .filter(l -> l.contains("\"type\":\"record\""))
            .forEach(records::add);
      }
    }
    return records;
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        b.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      // nothing more for now
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  private static int awaitAdminPort(InspectionService service) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (service.adminPort() < 0 && System.nanoTime() - until < 0) {
      Thread.sleep(10);
    }
    return service.adminPort();
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The configured backend, whose session holds the first batch of the service's own warm-up frames
   * until released (the backend's start-up warm-up on blank entries passes through).
   */
  private static final class HeldBackend implements InferenceBackend {
    private final InferenceBackend delegate;
    private final CountDownLatch entered;
    private final CountDownLatch release;

    HeldBackend(InferenceBackend delegate, CountDownLatch entered, CountDownLatch release) {
      this.delegate = delegate;
      this.entered = entered;
      this.release = release;
    }

    @Override
    public ModelInfo model() {
      return delegate.model();
    }

    @Override
    public int maxBatch() {
      return delegate.maxBatch();
    }

    @Override
    public int inputFloats() {
      return delegate.inputFloats();
    }

    @Override
    public InputLayout inputLayout() {
      return delegate.inputLayout();
    }

    @Override
    public QualityLimits qualityLimits() {
      return delegate.qualityLimits();
    }

    @Override
    public Preprocessor newPreprocessor() {
      return delegate.newPreprocessor();
    }

    @Override
    public InferenceSession newSession() {
      InferenceSession s = delegate.newSession();
      return new InferenceSession() {
        @Override
        public void infer(FrameEvent[] batch, int count) throws Exception {
          if (count > 0 && batch[0].warmUp() && entered.getCount() > 0) {
            entered.countDown();
            release.await(60, TimeUnit.SECONDS);
          }
          s.infer(batch, count);
        }

        @Override
        public void close() {
          s.close();
        }
      };
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
