package io.lineinspect.app;

import io.lineinspect.app.admin.AdminServer;
import io.lineinspect.app.admin.ModelLifecycle;
import io.lineinspect.app.models.Activation;
import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.app.models.ModelState;
import io.lineinspect.app.models.ShadowControl;
import io.lineinspect.camera.actuator.ActuatorOutputs;
import io.lineinspect.camera.auth.CameraAuth;
import io.lineinspect.camera.drop.DropConfig;
import io.lineinspect.camera.drop.ImageDrop;
import io.lineinspect.camera.ingest.CameraServer;
import io.lineinspect.camera.ingest.CameraTls;
import io.lineinspect.camera.ingest.IngestWarmUp;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.health.HealthMonitor;
import io.lineinspect.core.health.StageHealth;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.metrics.CameraSeries;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.GoldenGate;
import io.lineinspect.core.model.GoldenSet;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.LineWarmUp;
import io.lineinspect.core.quality.UnfitAlarm;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import io.lineinspect.inference.djl.DjlBackend;
import io.lineinspect.inference.djl.DjlBackendConfig;
import io.lineinspect.inference.djl.ModelException;
import io.lineinspect.opcua.VisionServer;
import io.lineinspect.plant.KafkaExportConfig;
import io.lineinspect.plant.KafkaExporter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The runnable service, assembled from a validated {@link ServiceConfig}: inference backend,
 * pipeline, camera server, reject actuators. This is the one place that knows every module.
 *
 * <p>Lifecycle: {@link #start()} and {@link #close()} once each, from the owner's thread.
 */
public final class InspectionService implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InspectionService.class.getName());
  private final ServiceConfig config;
  private final InferenceBackend backend;
  private final InspectionPipeline pipeline;
  private final CameraServer server;
  private ImageDrop drop;
  private final RejectScheduler rejects;
  private final CameraClocks clocks;
  private final AuditLog audit;
  private final KafkaExporter kafka;
  private final VisionServer opcua;
  private final ImageArchive archive;
  private final DriftMonitor drift;
  private final UnfitAlarm unfit;
  private final ModelLifecycle models;
  private final Path home;
  private final Path startupGolden;
  private volatile StartupGate startupGate;
  private volatile LineWarmUp.Result warmUp;
  private volatile long warmUpMs = -1;
  private int port;
  private volatile boolean closed;
  private volatile boolean ready;
  private AdminServer admin;
  private final io.lineinspect.app.dashboard.Dashboard dashboard;
  private final HealthMonitor healthMonitor;

  /**
   * @param config the validated configuration
   * @param home the install directory: relative model paths in the configuration resolve here
   */
  public InspectionService(ServiceConfig config, Path home) {
    this(config, home, UnaryOperator.identity());
  }

  /**
   * As {@link #InspectionService(ServiceConfig, Path)}, with the configured backend passed through
   * {@code decorate} first (the load generator uses it to inject a deliberate slowdown).
   */
  public InspectionService(
      ServiceConfig config, Path home, UnaryOperator<InferenceBackend> decorate) {
    config.checkFitsHeap(Runtime.getRuntime().maxMemory());
    config.checkFitsDirectMemory(CameraServer.directMemoryCap());
    // Secret and TLS files are read first: a bad one stops start-up before anything is opened.
    CameraAuth cameraAuth = CameraAuth.of(config.ingest().cameras(), home);
    CameraTls cameraTls = CameraTls.of(config.ingest().tls(), home);
    this.config = config;
    this.home = home;
    ModelRegistry registry = new ModelRegistry(home.resolve(config.models().registry()));
    Path stateFile = home.resolve(config.models().state());
    ModelState state = loadState(config, stateFile);
    InferenceBackend loaded = createBackend(config, home, registry, state);
    this.startupGolden = loaded.goldenFile();
    this.backend = decorate.apply(loaded);
    NanoClock clock = NanoClock.SYSTEM;
    this.clocks =
        new CameraClocks(
            config.actuators().timing().clockWindowMs(), RejectScheduler::systemEpochMicros);
    this.rejects =
        config.actuators().outputs().isEmpty()
            ? null
            : new RejectScheduler(
                config.actuators().timing(),
                ActuatorOutputs.create(config.actuators().outputs()),
                new ActuatorMetrics(),
                clock,
                RejectScheduler::systemEpochMicros,
                clocks);
    this.kafka = openKafka(config, home); // before the audit trail: it feeds the exporter
    this.opcua = OpcUaWiring.open(config, home, this); // the same: fed from the audit chain
    this.audit =
        config.audit().enabled()
            ? openAudit(config, home, OpcUaWiring.both(kafka, opcua == null ? null : opcua.feed()))
            : null;
    this.archive = config.archive().enabled() ? openArchive(config, home) : null;
    this.drift = config.drift().enabled() ? new DriftMonitor(config.drift()) : null;
    this.unfit = new UnfitAlarm(config.quality());
    if (rejects != null && audit != null) {
      rejects.metrics().onOutcome(audit::rejectOutcome);
    }
    if (kafka != null) {
      if (archive != null) {
        archive.onSaved(kafka);
      }
      kafka.watch("unfit-image", unfit::alarmStates);
      if (drift != null) {
        DriftMonitor d = drift;
        kafka.watch("drift", () -> java.util.Map.of("line", d.alarm()));
      }
      kafka.modelEvent("served", backend.model(), null, "served at start");
    }
    ShadowControl.ShadowTap shadowTap = new ShadowControl.ShadowTap();
    this.dashboard =
        io.lineinspect.app.dashboard.ServiceDashboard.create(
            io.lineinspect.app.dashboard.DashboardConfig.of(config), config, home, this);
    this.pipeline =
        new InspectionPipeline(
            config.pipeline(),
            TimeUnit.MILLISECONDS.toNanos(config.line().budgetMs()),
            config.line().failSafeVerdict(),
            backend,
            VerdictListener.all(
                rejects,
                audit,
                archive,
                drift,
                unfit,
                shadowTap,
                dashboard == null ? null : dashboard.feed()),
            clock,
            Thread::new);
    CameraSeries cameraSeries =
        new CameraSeries(config.namedCameras(), config.metrics().maxCameraSeries());
    pipeline.metrics().limitCameras(cameraSeries);
    if (audit != null) {
      audit.limitCameras(cameraSeries); // the same labels, named cameras' shares from the start
    }
    this.server =
        new CameraServer(
            config.ingest(), config.line(), pipeline, clock, clocks, cameraAuth, cameraTls);
    StageHealth health = pipeline.health();
    if (rejects != null) {
      health.add(rejects.stage());
    }
    if (audit != null) {
      health.add(audit.stage());
    }
    if (archive != null) {
      health.add(archive.stage());
    }
    this.healthMonitor =
        new HealthMonitor(
            health,
            rejects,
            () ->
                unfit.activeAlarms().stream()
                    .map(c -> "camera " + c + ": images unfit to judge (lens cap, light, focus?)")
                    .toList());
    this.models =
        new ModelLifecycle(
            config.models(),
            registry,
            stateFile,
            config.inference().backend().equals("djl")
                ? manifest -> {
                  // Runs on the lifecycle's thread, beside the line: so does the probe batch.
                  DjlBackend.limitThreadsOfCallingThread(config.models().besideThreads());
                  return decorate.apply(DjlBackend.load(djlConfig(config, manifest), home));
                }
                : null,
            pipeline.models(),
            pipeline.timing(),
            backend,
            state,
            drift,
            archive == null ? null : home.resolve(config.archive().dir()),
            home.resolve(config.models().shadow().dir()),
            shadowTap,
            () -> pipeline.inFlight() == 0);
    exportModelEvents();
  }

  /** Model operations as plant events: activation, rollback, refusal (a candidate refused). */
  private void exportModelEvents() {
    if (kafka == null) {
      return;
    }
    models.onEnded(
        (operation, target, outcome, message) ->
            kafka.modelEvent(
                outcome.isRefusal() ? "refusal" : operation,
                pipeline.models().model(),
                outcome.name(),
                (target == null ? "" : target + ": ") + message));
  }

  private static DjlBackendConfig djlConfig(ServiceConfig config, Path manifest) {
    return DjlBackendConfig.of(config.inference()).withManifest(manifest.toString());
  }

  private static ModelState loadState(ServiceConfig config, Path stateFile) {
    if (!config.inference().backend().equals("djl")) {
      return ModelState.empty();
    }
    try {
      return ModelState.load(stateFile);
    } catch (java.io.IOException e) {
      throw new ConfigException(e.getMessage() + "; delete it to serve inference.djl.manifest", e);
    }
  }

  private static ImageArchive openArchive(ServiceConfig config, Path home) {
    Path dir = home.resolve(config.archive().dir());
    try {
      return new ImageArchive(config.archive(), dir);
    } catch (java.io.IOException e) {
      throw new ConfigException(
          "archive.dir: cannot write the image archive in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static KafkaExporter openKafka(ServiceConfig config, Path home) {
    KafkaExportConfig k = KafkaExportConfig.of(config);
    if (!k.enabled()) {
      return null;
    }
    if (!config.audit().enabled()) {
      throw new ConfigException(
          "kafka.enabled: the exporter sends the audit chain (every verdict with its hash); it"
              + " needs audit.enabled: true");
    }
    Path dir = home.resolve(k.spoolDir());
    try {
      return new KafkaExporter(
          k,
          k.lineIdOf(config),
          dir,
          home.resolve(config.audit().dir()),
          RejectScheduler::systemEpochMicros);
    } catch (java.io.IOException e) {
      throw new ConfigException(
          "kafka.spoolDir: cannot use the Kafka spool in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static AuditLog openAudit(
      ServiceConfig config, Path home, AuditLog.ChainListener chainListener) {
    Path dir = home.resolve(config.audit().dir());
    try {
      return new AuditLog(config.audit(), dir, RejectScheduler::systemEpochMicros, chainListener);
    } catch (java.io.IOException e) {
      throw new ConfigException(
          "audit.dir: cannot write the audit trail in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The backend this configuration serves at start (see below), loaded outside a service. */
  public static InferenceBackend createBackend(ServiceConfig config, Path home) {
    return createBackend(
        config,
        home,
        new ModelRegistry(home.resolve(config.models().registry())),
        loadState(config, home.resolve(config.models().state())));
  }

  /**
   * The configured backend. With {@code djl}, the version recorded in {@code models.state} by an
   * activation or rollback wins over {@code inference.djl.manifest}, so a restart serves what was
   * served; it must still be the same file.
   */
  static InferenceBackend createBackend(
      ServiceConfig config, Path home, ModelRegistry registry, ModelState state) {
    return switch (config.inference().backend()) {
      case "builtin" -> new BuiltinBackend(config.inference().builtin());
      case "djl" -> {
        ModelState.Entry served = state.served();
        if (served == null) {
          yield DjlBackend.load(DjlBackendConfig.of(config.inference()), home);
        }
        String where = home.resolve(config.models().state()) + " names " + served.id();
        Path manifest;
        try {
          manifest = registry.manifest(served.name(), served.version());
        } catch (ModelException e) {
          throw new ModelException(
              where + " but: " + e.getMessage() + "; delete it to serve inference.djl.manifest");
        }
        DjlBackend b = DjlBackend.load(djlConfig(config, manifest), home);
        if (!b.model().sha256().equalsIgnoreCase(served.sha256())) {
          String actual = b.model().sha256();
          b.close();
          throw new ModelException(
              where
                  + " (SHA-256 "
                  + served.sha256()
                  + ") but "
                  + manifest
                  + " now describes a file with SHA-256 "
                  + actual
                  + "; refusing to serve a model that was never activated");
        }
        LOG.log(
            System.Logger.Level.INFO,
            "serving {0} as recorded in {1} ({2} {3}); inference.djl.manifest is not used",
            served.id(),
            home.resolve(config.models().state()),
            served.how(),
            served.since());
        yield b;
      }
      default ->
          throw new IllegalStateException(
              "inference.backend " + config.inference().backend() + " is not available");
    };
  }

  /** Starts the pipeline, then accepts cameras; returns the bound port. */
  public int start() throws InterruptedException {
    if (config.admin().enabled()) {
      try {
        admin = new AdminServer(this, config.admin(), home);
      } catch (java.io.IOException e) {
        throw new ConfigException(
            "admin.port: cannot serve the admin endpoint on "
                + config.admin().host()
                + ":"
                + config.admin().port()
                + ": "
                + e.getMessage(),
            e);
      }
    }
    try {
      // A camera port in use is a configuration error now, not after the gate and the warm-up.
      CameraServer.checkPortFree(config.ingest());
      if (opcua != null) {
        opcua.start(); // Preoperational during the gate and the warm-up
      }
      gateAtStartup();
    } catch (RuntimeException e) {
      if (admin != null) {
        admin.close();
        admin = null;
      }
      if (opcua != null) {
        opcua.close();
      }
      throw e;
    }
    pipeline.start();
    healthMonitor.start();
    warmUpLine();
    port = server.start();
    drop = startDrop();
    if (dashboard != null) {
      dashboard.feed().start();
    }
    ready = true;
    return port;
  }

  /** The image drop ({@code drop:}, hot folder and SFTP), when enabled; after the camera port. */
  private ImageDrop startDrop() {
    DropConfig d = DropConfig.of(config);
    if (!d.enabled()) {
      return null;
    }
    ImageDrop dropped =
        new ImageDrop(
            d, home, config.ingest().maxImagePixels(), pipeline, NanoClock.SYSTEM, Thread::new);
    try {
      dropped.start();
    } catch (java.io.IOException e) {
      throw new ConfigException("drop: cannot start the image drop: " + e.getMessage(), e);
    }
    return dropped;
  }

  /** The image drop ({@code drop:}), or null when it is off. */
  public ImageDrop drop() {
    return drop;
  }

  /**
   * The warm start ({@code warmup:}): synthetic parts through the whole started pipeline until its
   * stage timings are steady, then through the camera port's code over a private loopback
   * connection ({@link IngestWarmUp}), before the camera port is even bound; then the metrics
   * forget it. Warm-up verdicts never leave a trace in the audit, archive, drift, shadow or
   * actuators: they only see {@code onWarmUpVerdict}, a dry run (audit formatting, archive PNG
   * encoding, the reject path) or a no-op.
   */
  private void warmUpLine() throws InterruptedException {
    if (!config.warmup().enabled()) {
      LOG.log(System.Logger.Level.INFO, "warm-up: off (warmup.enabled: false)");
      return;
    }
    long t0 = System.nanoTime();
    List<LineWarmUp.Frame> frames = WarmUpFrames.render(config.warmup());
    LineWarmUp.Result r = LineWarmUp.run(pipeline, frames, config.warmup(), NanoClock.SYSTEM);
    IngestWarmUp.Result ingest =
        IngestWarmUp.run(
            config.ingest(),
            config.line(),
            pipeline,
            NanoClock.SYSTEM,
            frames,
            config.warmup().framesPerRound() * config.warmup().minRounds(),
            pipeline.timing().maxBatch(),
            server.tls());
    if (archive != null && !archive.awaitIdle(5_000)) {
      LOG.log(System.Logger.Level.WARNING, "warm-up: the archive writer is still busy after 5 s");
    }
    pipeline.metrics().reset();
    warmUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    warmUp = r;
    LOG.log(
        System.Logger.Level.INFO,
        "warm-up done in {0} ms ({1}: {2}; camera port: {3})",
        String.valueOf(warmUpMs),
        String.join(" ", config.warmup().formats()),
        r.describe(),
        ingest.describe());
  }

  /** The warm start's result, or null when it did not run. */
  LineWarmUp.Result warmUp() {
    return warmUp;
  }

  /** Milliseconds the warm start took (rendering the parts included), -1 when it did not run. */
  public long warmUpMs() {
    return warmUpMs;
  }

  /**
   * What the start-up gate found: the model served at start, its golden-set result and how long the
   * gate took.
   */
  public record StartupGate(String model, boolean passed, int correct, int total, long millis) {}

  /** The start-up gate's result, or null when it did not run (no golden set, switched off). */
  public StartupGate startupGate() {
    return startupGate;
  }

  /**
   * The model served at start judges its own golden set, at full speed (no camera is connected
   * yet), before the pipeline starts: a model that fails it never judges a part.
   *
   * @throws ModelException carrying the gate's report when it fails
   */
  private void gateAtStartup() {
    ModelInfo m = backend.model();
    if (m == null || startupGolden == null || !config.models().gate().atStartup()) {
      LOG.log(
          System.Logger.Level.INFO,
          "start-up gate: not run ({0})",
          m == null
              ? "no model"
              : startupGolden == null
                  ? m.id() + " names no golden set"
                  : "models.gate.atStartup is false");
      return;
    }
    List<GoldenSet.Labelled> golden;
    try {
      golden = GoldenSet.load(startupGolden);
    } catch (java.io.IOException e) {
      throw new ModelException(
          startupGolden + ": the golden set of " + m.id() + " is not readable: " + e.getMessage(),
          e);
    }
    long t0 = System.nanoTime();
    GateReport r =
        new GoldenGate(config.models().gate(), Pacer.FULL_SPEED)
            .check(
                backend,
                null,
                golden,
                List.of(),
                s -> LOG.log(System.Logger.Level.INFO, "start-up gate: " + m.id() + ": " + s));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    startupGate = new StartupGate(m.id(), r.passed(), r.goldenCorrect(), r.goldenTotal(), ms);
    LOG.log(
        r.passed() ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
        "start-up gate of {1}: {0}, in {2} ms",
        Activation.describe(r).substring("gate: ".length()),
        m.id(),
        String.valueOf(ms));
    if (!r.passed()) {
      throw new ModelException(
          m.id()
              + " fails its own golden set ("
              + startupGolden
              + ") at start-up: "
              + String.join("; ", r.reasons())
              + (r.examples().isEmpty() ? "" : "; wrong: " + String.join("; ", r.examples()))
              + "; the service does not judge parts with it (models.gate.atStartup)",
          r);
    }
  }

  public int port() {
    return port;
  }

  public ServiceConfig config() {
    return config;
  }

  public InspectionPipeline pipeline() {
    return pipeline;
  }

  public CameraServer server() {
    return server;
  }

  /** The model judging now (it changes with an activation or rollback), or null when none. */
  public ModelInfo servedModel() {
    return pipeline.models().model();
  }

  /** The backend judging now (for measurements beside the line: the load generator). */
  public InferenceBackend servedBackend() {
    return pipeline.models().served();
  }

  /** Model activation, rollback and status. */
  public ModelLifecycle models() {
    return models;
  }

  /**
   * The per-camera unfit-image alarm (always present): {@link UnfitAlarm#activeAlarms()} names the
   * cameras that keep sending frames that cannot be judged.
   */
  public UnfitAlarm unfitAlarm() {
    return unfit;
  }

  /** The drift monitor, or null when disabled. */
  public DriftMonitor drift() {
    return drift;
  }

  /** The reject image archive, or null when disabled. */
  public ImageArchive archive() {
    return archive;
  }

  /** The audit trail, or null when disabled. */
  public AuditLog audit() {
    return audit;
  }

  /** Each camera's clock offset estimate, from its timestamped HEARTBEATs. */
  public CameraClocks cameraClocks() {
    return clocks;
  }

  /** The reject scheduler and its outputs, or null when no actuator output is configured. */
  public RejectScheduler rejects() {
    return rejects;
  }

  /**
   * Stops accepting, drains what was received, closes cameras, stops the pipeline, fires the
   * rejects still due, closes the actuators.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ready = false;
    if (admin != null) {
      admin.stopping();
    }
    if (dashboard != null) {
      dashboard.close();
    }
    if (opcua != null) {
      opcua.halting();
    }
    healthMonitor.close();
    models.stopping();
    server.close();
    if (drop != null) {
      drop.close(); // before the pipeline: the images in flight get their verdicts and results
    }
    pipeline.close();
    models.close();
    if (rejects != null) {
      rejects.close();
    }
    if (audit != null) {
      audit.close();
    }
    if (archive != null) {
      archive.close();
    }
    if (kafka != null) {
      kafka.close(); // after the audit trail: its last lines go to the spool
    }
    if (opcua != null) {
      opcua.close(); // after the audit trail: its last results are still published
    }
    if (admin != null) {
      admin.close();
    }
  }

  /** The OPC UA server ({@code opcua:}), or null when it is off. */
  public VisionServer opcua() {
    return opcua;
  }

  /** True once {@link #close()} has begun. */
  boolean closing() {
    return closed;
  }

  /** The plant exporter ({@code kafka:}), or null when it is off. */
  public KafkaExporter kafka() {
    return kafka;
  }

  /** The health of every stage and condition (what {@code /health} reports). */
  public StageHealth health() {
    return pipeline.health();
  }

  /** True once the model is warmed up and cameras are accepted, until the service stops. */
  public boolean ready() {
    return ready;
  }

  /** The operator dashboard (served on the admin endpoint), or null when it is off. */
  public io.lineinspect.app.dashboard.Dashboard dashboard() {
    return dashboard;
  }

  /** The admin endpoint's port, or -1 when it is disabled or not started. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }
}
