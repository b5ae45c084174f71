package io.lineinspect.app.demo;

import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.app.StatusLine;
import io.lineinspect.core.config.ActuatorsConfig;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.sim.CameraSecrets;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo line ({@code inspect demo}): the service from a line configuration, on loopback, its
 * Modbus outputs pointed at a simulated PLC ({@link DemoActuators}), simulated cameras for a fixed
 * time, then what happened: service figures, actuators and reject gate, audit, archive, warm start.
 * Runs on the caller's thread.
 */
public final class DemoLine {

  /**
   * What to run.
   *
   * @param config the line configuration file
   * @param settings the cameras' frames (size, format, rate, defect rate, seed)
   * @param plc {@code sim}, {@code none} or {@code HOST:PORT} ({@link DemoActuators#prepare})
   * @param rejectFiring {@code plc}, {@code service}, or null to keep the configuration's
   * @param schedulerFifo the reject scheduler's {@code SCHED_FIFO} priority, or null
   * @param simPlcPriority the simulated PLC's stroke thread priority (0: normal)
   * @param openPort run the camera port open (no {@code ingest.cameras}, no tokens) instead of
   *     giving each simulated camera a secret made at start
   */
  public record Plan(
      Path config,
      int cameras,
      SimulatedCamera.Settings settings,
      int seconds,
      String plc,
      String rejectFiring,
      Integer schedulerFifo,
      int simPlcPriority,
      boolean openPort) {}

  /** The cameras' figures and the demo's own for the JSON summary (actuators, audit, archive). */
  public record Run(SimRun.Result result, Map<String, Object> extra) {}

  private final Plan plan;
  private final String kafka;
  private final Path home;
  private final PrintStream out;

  /**
   * @param home the install directory (relative paths of the configuration resolve here)
   * @param out where the progress and the demo's figures go
   */
  public DemoLine(Plan plan, Path home, PrintStream out) {
    this(plan, home, out, null);
  }

  /** As {@link #DemoLine(Plan, Path, PrintStream)}, exporting to the Kafka at {@code kafka}. */
  public DemoLine(Plan plan, Path home, PrintStream out, String kafka) {
    this.kafka = kafka;
    this.plan = plan;
    this.home = home;
    this.out = out;
  }

  private boolean linger;

  /**
   * With {@code true}, the service and its dashboard stay up after the cameras stop, until Ctrl-C.
   */
  public DemoLine linger(boolean linger) {
    this.linger = linger;
    return this;
  }

  /** Runs the demo; the caller prints the cameras' summary. */
  public Run run() throws Exception {
    SimulatedCamera.Settings settings = plan.settings();
    ServiceConfig cfg = loopbackConfig(settings);
    CameraSecrets secrets = CameraSecrets.none();
    if (!plan.openPort()) {
      Map<String, byte[]> made = madeSecrets(plan.cameras());
      cfg = withCredentials(cfg, made);
      secrets = CameraSecrets.perCamera(made, "the demo's secrets");
      made.values().forEach(b -> java.util.Arrays.fill(b, (byte) 0));
    }
    DemoActuators actuators =
        DemoActuators.prepare(
            cfg, plan.plc(), plan.cameras(), plan.rejectFiring(), plan.simPlcPriority());
    cfg = actuators.config();
    SimStats stats = new SimStats();
    if (actuators.gate() != null) {
      stats.logParts();
    }
    try (actuators;
        InspectionService service = new InspectionService(cfg, home)) {
      int port = service.start();
      stats.markReady(System.nanoTime());
      out.printf(
          Locale.ROOT,
          "demo line %s: model %s, budget %d ms, %d camera(s) x %.0f fps for %d s on 127.0.0.1:%d (%s)%s%n",
          cfg.line().name(),
          service.servedModel() == null ? "none" : service.servedModel().id(),
          cfg.line().budgetMs(),
          plan.cameras(),
          settings.fps(),
          plan.seconds(),
          port,
          service.server().transport(),
          StatusLine.adminUrl(service));
      out.println(
          plan.openPort()
              ? "camera credentials: none (--open-port): any client may claim any camera id"
              : "camera credentials: cam-1 ... cam-"
                  + plan.cameras()
                  + " each prove their id with a secret made at start (ingest.cameras; 16 random"
                  + " bytes each, never written anywhere)");
      String dashboard = StatusLine.dashboardUrl(service);
      if (!dashboard.isEmpty()) {
        out.println(
            "dashboard: "
                + dashboard
                + (cfg.admin().operatorTokenFile() == null
                    ? ""
                    : " (labels, acknowledgements and shift reset need the operator token in "
                        + home.resolve(cfg.admin().operatorTokenFile()).normalize()
                        + ")"));
      }
      actuators.describe(out);
      SimRun.Result r =
          new SimRun("127.0.0.1", port, plan.cameras(), settings, plan.seconds(), out)
              .withSecrets(secrets)
              .run(
                  () -> {
                    PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
                    return String.format(Locale.ROOT, "  mean batch %.1f", m.meanBatchSize())
                        + StatusLine.rejects(service.rejects());
                  },
                  stats);
      PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
      // Let the server log the cameras' disconnects before the summary, not in the middle of it.
      long until = System.nanoTime() + 1_000_000_000L;
      while (service.server().connectedCameras() > 0 && System.nanoTime() - until < 0) {
        Thread.sleep(5);
      }
      out.println(
          "service: watchdog verdicts "
              + m.watchdogVerdicts()
              + ", late results "
              + m.lateResults()
              + ", mean batch "
              + String.format(Locale.ROOT, "%.1f", m.meanBatchSize())
              + "; "
              + StatusLine.stages(m));
      if (linger && !dashboard.isEmpty()) {
        out.println("dashboard stays up at " + dashboard + " (--linger): Ctrl-C to stop");
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      service.close();
                      stopped.countDown();
                    },
                    "demo-linger-stop"));
        stopped.await();
      }
      // Fire the rejects still on their way to the gate, then see what left the belt.
      io.lineinspect.plant.KafkaExporter exporter = service.kafka();
      boolean drained = exporter == null || exporter.awaitDrained(10_000);
      service.close();
      Map<String, Object> extra = actuators.report(service.rejects(), stats, out);
      printRecords(service, extra);
      if (exporter != null) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("exported", exporter.exported());
        k.put("spoolRecords", exporter.spoolRecords());
        k.put("notExported", exporter.refused() + exporter.queueDropped());
        k.put("drained", drained);
        k.put("topics", exporter.topics());
        extra.put("kafka", k);
        out.printf(
            Locale.ROOT,
            "kafka: %d records exported to %s (topics %s), %d left in the spool%s; see them with"
                + " bin/inspect plant --kafka %s%n",
            exporter.exported(),
            cfg.kafka().as(io.lineinspect.plant.KafkaExportConfig.class).bootstrapServers(),
            String.join(", ", exporter.topics()),
            exporter.spoolRecords(),
            exporter.refused() + exporter.queueDropped() > 0
                ? ", " + (exporter.refused() + exporter.queueDropped()) + " not exported (gaps)"
                : "",
            cfg.kafka().as(io.lineinspect.plant.KafkaExportConfig.class).bootstrapServers());
      }
      return new Run(r, extra);
    }
  }

  /**
   * The configuration, its cameras' port and admin port on loopback (ephemeral), the reject
   * scheduler's priority from the plan; frames that could exceed {@code ingest.maxMessageBytes} are
   * refused here.
   */
  private ServiceConfig loopbackConfig(SimulatedCamera.Settings settings) {
    Path file = plan.config();
    ServiceConfig loaded = ConfigLoader.load(file);
    // Encoded frames are smaller than raw ones: the raw BGR size bounds every format.
    long frameBytes = PixelFormat.BGR8.rawPayloadBytes(settings.width(), settings.height()) + 36;
    if (frameBytes > loaded.ingest().maxMessageBytes()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%dx%d frames can take %d bytes, more than ingest.maxMessageBytes (%d) in %s",
              settings.width(),
              settings.height(),
              frameBytes,
              loaded.ingest().maxMessageBytes(),
              file));
    }
    IngestConfig i = loaded.ingest();
    ServiceConfig cfg =
        new ServiceConfig(
            loaded.line(),
            i.listeningOn("127.0.0.1", 0),
            loaded.pipeline(),
            loaded.inference(),
            loaded.actuators(),
            loaded.audit(),
            loaded.archive(),
            loaded.drift(),
            loaded.admin().onPort(0),
            loaded.models(),
            loaded.quality(),
            loaded.warmup());
    cfg = cfg.withKafka(loaded.kafka()).withDashboard(loaded.dashboard());
    if (kafka != null) {
      // --kafka: the plant exporter towards that broker, its spool beside the demo's audit trail
      cfg =
          cfg.withKafka(
              io.lineinspect.core.config.ModuleSection.of(
                  ServiceConfig.KAFKA, io.lineinspect.plant.KafkaExportConfig.to(kafka)));
    }
    if (plan.schedulerFifo() != null) {
      cfg =
          cfg.withActuators(
              new ActuatorsConfig(
                  cfg.actuators().timing().withSchedulerRealtimePriority(plan.schedulerFifo()),
                  cfg.actuators().outputs()));
    }
    return cfg;
  }

  /** A fresh random 16-byte secret for each of {@code cam-1 … cam-n} (SecureRandom). */
  static Map<String, byte[]> madeSecrets(int n) {
    SecureRandom random = new SecureRandom();
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (int i = 1; i <= n; i++) {
      byte[] s = new byte[CameraCredentialConfig.MIN_SECRET_HEX / 2];
      random.nextBytes(s);
      secrets.put("cam-" + i, s);
    }
    return secrets;
  }

  /**
   * {@code cfg} with {@code ingest.cameras} listing exactly {@code secrets} (inline, as hex): the
   * configuration's own list, if any, is replaced, since the demo's cameras are {@code cam-1 …
   * cam-N}.
   */
  static ServiceConfig withCredentials(ServiceConfig cfg, Map<String, byte[]> secrets) {
    Map<String, CameraCredentialConfig> cameras = new LinkedHashMap<>();
    secrets.forEach(
        (id, s) ->
            cameras.put(id, new CameraCredentialConfig(HexFormat.of().formatHex(s), null, null)));
    return cfg.withIngest(cfg.ingest().withCameras(cameras));
  }

  /**
   * The audit trail's, the archive's and the warm start's figures, printed and into {@code extra}.
   */
  private void printRecords(InspectionService service, Map<String, Object> extra) {
    if (service.audit() != null) {
      var a = service.audit();
      out.printf(
          Locale.ROOT,
          "audit: %d records written to %s (dropped %d, lost to write errors %d); check it with"
              + " bin/inspect audit verify%n",
          a.written(),
          a.dir(),
          a.dropped(),
          a.lost());
      extra.put("auditWritten", a.written());
      extra.put("auditDropped", a.dropped());
      extra.put("auditLost", a.lost());
    }
    if (service.archive() != null) {
      var ar = service.archive();
      out.printf(
          Locale.ROOT,
          "archive: %d images saved to %s (skipped %d: no image at hand or all slots busy,"
              + " failed %d, evicted by quota %d)%n",
          ar.saved(),
          ar.dir(),
          ar.skipped(),
          ar.failed(),
          ar.evicted());
      extra.put("imagesArchived", ar.saved());
      extra.put("imagesSkipped", ar.skipped());
    }
    out.printf(
        Locale.ROOT,
        "warm start: %s (before the camera port opened; docs/architecture.md#warm-start)%n",
        service.warmUpMs() < 0 ? "off" : service.warmUpMs() + " ms");
    extra.put("warmupMs", service.warmUpMs());
  }
}
