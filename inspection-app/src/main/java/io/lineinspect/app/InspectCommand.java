package io.lineinspect.app;

import io.lineinspect.camera.sim.SimStats;
import io.lineinspect.camera.sim.SimulatedCamera;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.PipelineMetrics;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code inspect} command line: {@code serve}, {@code camera-sim}, {@code demo}. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    version = "line inspection service 0.1.0",
    description = "Visual quality inspection service for factory lines.",
    subcommands = {
      InspectCommand.Serve.class,
      InspectCommand.CameraSim.class,
      InspectCommand.Demo.class,
      InspectCommand.Dataset.class,
      AuditCommand.class,
      ModelsCommand.class,
      LoadgenCommand.class,
      GateCommand.class
    })
public final class InspectCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty(
          "java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %3$s: %5$s%6$s%n");
    }
    LogSetup.install(System.getenv().getOrDefault("INSPECT_LOG_FORMAT", "text"));
    CommandLine cl = new CommandLine(new InspectCommand());
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof ConfigException) {
            cmd.getErr().println("configuration error: " + e.getMessage());
            return 2;
          }
          if (e instanceof io.lineinspect.inference.djl.ModelException) {
            cmd.getErr().println("model refused: " + e.getMessage());
            return 2;
          }
          if (e instanceof IllegalArgumentException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 2;
          }
          if (e instanceof java.io.IOException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 1;
          }
          throw e;
        });
    System.exit(cl.execute(args));
  }

  /** Where the install lives; bin/inspect passes it. */
  static Path home() {
    return Path.of(System.getProperty("inspect.home", "."));
  }

  /** Options shared by the commands that run simulated cameras. */
  static final class CameraOptions {
    @Option(
        names = "--cameras",
        defaultValue = "2",
        description = "Simulated cameras (default ${DEFAULT-VALUE}).")
    int cameras;

    @Option(
        names = "--fps",
        defaultValue = "30",
        description = "Frames per second per camera (default ${DEFAULT-VALUE}).")
    double fps;

    @Option(
        names = "--seconds",
        defaultValue = "10",
        description = "How long to send frames (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
        names = "--width",
        defaultValue = "256",
        description = "Frame width in pixels (default ${DEFAULT-VALUE}).")
    int width;

    @Option(
        names = "--height",
        defaultValue = "256",
        description = "Frame height in pixels (default ${DEFAULT-VALUE}).")
    int height;

    @Option(
        names = "--format",
        defaultValue = "MONO8",
        description = "Pixel format: MONO8, BGR8, RGB8, JPEG, PNG (default ${DEFAULT-VALUE}).")
    PixelFormat format;

    @Option(
        names = "--defect-rate",
        defaultValue = "0.3",
        description = "Share of defective parts (default ${DEFAULT-VALUE}).")
    double defectRate;

    @Option(
        names = "--seed",
        defaultValue = "20261124",
        description =
            "Renderer seed; the same seed renders the same parts (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--json",
        description = "Print the summary as one JSON object on the last line.")
    boolean json;

    SimulatedCamera.Settings settings() {
      if (cameras < 1 || cameras > 256) {
        throw new IllegalArgumentException("--cameras must be 1..256, got " + cameras);
      }
      if (seconds < 1) {
        throw new IllegalArgumentException("--seconds must be at least 1, got " + seconds);
      }
      if (width < 32 || height < 32 || width > 4096 || height > 4096) {
        throw new IllegalArgumentException("--width and --height must be 32..4096");
      }
      if (!(defectRate >= 0 && defectRate <= 1)) {
        throw new IllegalArgumentException("--defect-rate must be 0..1, got " + defectRate);
      }
      return new SimulatedCamera.Settings(width, height, format, fps, defectRate, seed);
    }
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run the service for a line until stopped (Ctrl-C / SIGTERM).")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Line configuration (YAML).")
    Path config;

    @Option(
        names = "--status-every",
        defaultValue = "10",
        description = "Seconds between status lines, 0 for none (default ${DEFAULT-VALUE}).")
    int statusEvery;

    @Override
    public Integer call() throws Exception {
      ServiceConfig cfg = ConfigLoader.load(config);
      InspectionService service = new InspectionService(cfg, home());
      int port = service.start();
      System.out.printf(
          Locale.ROOT,
          "ready: line %s, model %s, cameras on %s:%d (%s), budget %d ms%s%n",
          cfg.line().name(),
          service.servedModel() == null ? "none" : service.servedModel().id(),
          cfg.ingest().host(),
          port,
          service.server().transport(),
          cfg.line().budgetMs(),
          adminUrl(service));
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    System.out.println("stopping: draining frames in flight");
                    service.close();
                    stopped.countDown();
                  },
                  "shutdown"));
      while (!stopped.await(
          Math.max(1, statusEvery) * 1000L, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        if (statusEvery > 0) {
          System.out.println(status(service));
        }
      }
      return 0;
    }
  }

  /** ", metrics on http://…/metrics" or "" when the admin endpoint is off. */
  static String adminUrl(InspectionService service) {
    return service.adminPort() < 0
        ? ""
        : ", metrics on http://"
            + service.config().admin().host()
            + ":"
            + service.adminPort()
            + "/metrics";
  }

  static String status(InspectionService service) {
    PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
    return String.format(
            Locale.ROOT,
            "status: cameras %d, frames %d, verdicts %d (pass %d, fail %d, fail-safe %d), mean batch %.1f, service p99 %.2f ms",
            service.server().connectedCameras(),
            service.server().metrics().frames(),
            m.verdicts(),
            m.pass(),
            m.fail(),
            m.failSafe(),
            m.meanBatchSize(),
            m.latencyP99Us() / 1000.0)
        + failSafeReasons(m)
        + DemoActuators.progress(service.rejects())
        + System.lineSeparator()
        + "        "
        + stages(m);
  }

  /** "; fail-safe by reason: DEADLINE 3, OVERLOAD 2" or "". */
  static String failSafeReasons(PipelineMetrics.Snapshot m) {
    StringBuilder b = new StringBuilder();
    m.byReason()
        .forEach(
            (r, n) -> {
              if (r.isFailSafe() && n > 0) {
                b.append(b.length() == 0 ? "; fail-safe by reason: " : ", ")
                    .append(r)
                    .append(' ')
                    .append(n);
              }
            });
    return b.toString();
  }

  /** Per-stage service latency, p50/p99 in milliseconds. */
  static String stages(PipelineMetrics.Snapshot m) {
    StringBuilder b = new StringBuilder("stages p50/p99 ms:");
    m.stages()
        .forEach(
            (name, st) ->
                b.append(
                    String.format(
                        Locale.ROOT,
                        " %s %.2f/%.2f",
                        name.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                        st.p50Us() / 1000.0,
                        st.p99Us() / 1000.0)));
    return b.toString();
  }

  @Command(
      name = "camera-sim",
      mixinStandardHelpOptions = true,
      description = "Simulated line cameras sending rendered parts to a running service.")
  static final class CameraSim implements Callable<Integer> {
    @Option(
        names = "--host",
        defaultValue = "127.0.0.1",
        description = "Service host (default ${DEFAULT-VALUE}).")
    String host;

    @Option(
        names = "--port",
        defaultValue = "7600",
        description = "Service port (default ${DEFAULT-VALUE}).")
    int port;

    @CommandLine.Mixin CameraOptions options;

    @Override
    public Integer call() throws Exception {
      CameraOptions o = options;
      SimRun.Result r =
          new SimRun(host, port, o.cameras, o.settings(), o.seconds, System.out).run(() -> "");
      return report(r, o.json);
    }
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description =
          "The demo line: the service and simulated cameras in one process, then a summary.")
  static final class Demo implements Callable<Integer> {
    @Option(
        names = "--config",
        description = "Line configuration (default: configs/demo-line.yaml of the install).")
    Path config;

    @Option(
        names = "--plc",
        defaultValue = "sim",
        description =
            "Where the config's Modbus reject outputs go: 'sim' (default) starts a simulated PLC"
                + " with reject pushers on loopback, in a process of its own as a real PLC is a"
                + " machine of its own, and reports what left the belt; 'sim-in-process' runs it"
                + " inside the service's JVM (its GC pauses then delay the strokes); HOST:PORT"
                + " drives a real Modbus TCP server; 'none' runs without actuators.")
    String plc;

    @Option(
        names = "--reject-firing",
        description =
            "Who times the reject strokes of the Modbus outputs: 'plc' (the demo config's default:"
                + " each reject is handed to the PLC as an order at its verdict, the PLC fires it"
                + " at the due time) or 'service' (the service pulses the coils at the due time)."
                + " Default: as configured.")
    String rejectFiring;

    @Option(
        names = "--scheduler-fifo",
        description =
            "Run the reject-scheduler thread SCHED_FIFO at this priority (1..99; needs root or"
                + " CAP_SYS_NICE): actuators.timing.schedulerRealtimePriority.")
    Integer schedulerFifo;

    @Option(
        names = "--sim-plc-priority",
        defaultValue = "60",
        description =
            "The simulated PLC's stroke thread runs SCHED_FIFO at this priority (a real PLC's"
                + " cycle has its own CPU; this one shares the host with inference). 0: normal"
                + " priority. Default: ${DEFAULT-VALUE}.")
    int simPlcPriority;

    @CommandLine.Mixin CameraOptions options;

    @Override
    public Integer call() throws Exception {
      CameraOptions o = options;
      if (rejectFiring != null && !rejectFiring.equals("plc") && !rejectFiring.equals("service")) {
        throw new IllegalArgumentException(
            "--reject-firing must be plc or service, got " + rejectFiring);
      }
      SimulatedCamera.Settings settings = o.settings();
      Path file = config != null ? config : home().resolve("configs/demo-line.yaml");
      ServiceConfig loaded = ConfigLoader.load(file);
      // Encoded frames are smaller than raw ones: the raw BGR size bounds every format.
      long frameBytes = PixelFormat.BGR8.rawPayloadBytes(o.width, o.height) + 36;
      if (frameBytes > loaded.ingest().maxMessageBytes()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%dx%d frames can take %d bytes, more than ingest.maxMessageBytes (%d) in %s",
                o.width,
                o.height,
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
      if (schedulerFifo != null) {
        cfg =
            cfg.withActuators(
                new io.lineinspect.core.config.ActuatorsConfig(
                    cfg.actuators().timing().withSchedulerRealtimePriority(schedulerFifo),
                    cfg.actuators().outputs()));
      }
      DemoActuators actuators =
          DemoActuators.prepare(cfg, plc, o.cameras, rejectFiring, simPlcPriority);
      cfg = actuators.config();
      SimStats stats = new SimStats();
      if (actuators.gate() != null) {
        stats.logParts();
      }
      try (actuators;
          InspectionService service = new InspectionService(cfg, home())) {
        int port = service.start();
        stats.markReady(System.nanoTime());
        System.out.printf(
            Locale.ROOT,
            "demo line %s: model %s, budget %d ms, %d camera(s) x %.0f fps for %d s on 127.0.0.1:%d (%s)%s%n",
            cfg.line().name(),
            service.servedModel() == null ? "none" : service.servedModel().id(),
            cfg.line().budgetMs(),
            o.cameras,
            o.fps,
            o.seconds,
            port,
            service.server().transport(),
            adminUrl(service));
        actuators.describe(System.out);
        SimRun.Result r =
            new SimRun("127.0.0.1", port, o.cameras, settings, o.seconds, System.out)
                .run(
                    () -> {
                      PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
                      return String.format(Locale.ROOT, "  mean batch %.1f", m.meanBatchSize())
                          + DemoActuators.progress(service.rejects());
                    },
                    stats);
        PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
        // Let the server log the cameras' disconnects before the summary, not in the middle of it.
        long until = System.nanoTime() + 1_000_000_000L;
        while (service.server().connectedCameras() > 0 && System.nanoTime() - until < 0) {
          Thread.sleep(5);
        }
        System.out.println(
            "service: watchdog verdicts "
                + m.watchdogVerdicts()
                + ", late results "
                + m.lateResults()
                + ", mean batch "
                + String.format(Locale.ROOT, "%.1f", m.meanBatchSize())
                + "; "
                + stages(m));
        // Fire the rejects still on their way to the gate, then see what left the belt.
        service.close();
        Map<String, Object> extra = actuators.report(service.rejects(), stats, System.out);
        if (service.audit() != null) {
          var a = service.audit();
          System.out.printf(
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
          System.out.printf(
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
        System.out.printf(
            Locale.ROOT,
            "warm start: %s (before the camera port opened; docs/architecture.md#warm-start)%n",
            service.warmUpMs() < 0 ? "off" : service.warmUpMs() + " ms");
        extra.put("warmupMs", service.warmUpMs());
        return report(r, o.json, extra);
      }
    }
  }

  @Command(
      name = "dataset",
      mixinStandardHelpOptions = true,
      description =
          "Render a labelled image set with the camera simulator (for training or testing a model).")
  static final class Dataset implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(
        names = "--count",
        defaultValue = "4000",
        description = "Images (default ${DEFAULT-VALUE}).")
    int count;

    @Option(
        names = "--camera-side",
        defaultValue = "256",
        description = "Rendered frame side in pixels (default ${DEFAULT-VALUE}).")
    int cameraSide;

    @Option(
        names = "--side",
        defaultValue = "128",
        description = "Stored image side, the model input (default ${DEFAULT-VALUE}).")
    int side;

    @Option(
        names = "--seed",
        defaultValue = "1",
        description = "Renderer seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--defect-rate",
        defaultValue = "0.5",
        description = "Share of defective parts (default ${DEFAULT-VALUE}).")
    double defectRate;

    @Option(
        names = "--png",
        description =
            "Write a golden set instead: one PNG per image and labels.csv as file,label,defect"
                + " (docs/models.md).")
    boolean png;

    @Override
    public Integer call() throws Exception {
      if (count < 1) {
        throw new IllegalArgumentException("--count must be at least 1, got " + count);
      }
      DatasetWriter.write(out, count, cameraSide, side, seed, defectRate, png, System.out);
      System.out.println("dataset written to " + out);
      return 0;
    }
  }

  private static int report(SimRun.Result r, boolean json) throws Exception {
    return report(r, json, Map.of());
  }

  private static int report(SimRun.Result r, boolean json, Map<String, Object> extra)
      throws Exception {
    r.printText(System.out);
    if (json) {
      Map<String, Object> m = r.toMap();
      m.putAll(extra);
      System.out.println(SimRun.Result.toJson(m));
    }
    return r.promisesKept() ? 0 : 3;
  }
}
