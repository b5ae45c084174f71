package io.lineinspect.core.config;

/**
 * The whole, validated configuration of one service instance (one line). Immutable; built once at
 * start-up by {@link ConfigLoader}; stages receive the parts they need and never read it again.
 * Every key is documented in {@code docs/configuration.md}.
 */
public record ServiceConfig(
    LineConfig line,
    IngestConfig ingest,
    PipelineConfig pipeline,
    InferenceConfig inference,
    ActuatorsConfig actuators,
    AuditConfig audit,
    ArchiveConfig archive,
    DriftConfig drift,
    AdminConfig admin,
    ModelsConfig models,
    QualityAlarmConfig quality,
    WarmupConfig warmup,
    MetricsConfig metrics,
    @ModuleSection.Key(ServiceConfig.KAFKA) ModuleSection kafka,
    @ModuleSection.Key(ServiceConfig.DROP) ModuleSection drop,
    @ModuleSection.Key(ServiceConfig.DASHBOARD) ModuleSection dashboard,
    @ModuleSection.Key(ServiceConfig.OPCUA) ModuleSection opcua) {
  /** The key of the plant exporter's section, owned by module {@code plant-export}. */
  public static final String KAFKA = "kafka";

  /**
   * The key of the image drop's section (hot folder, SFTP), owned by module {@code camera-drop}.
   */
  public static final String DROP = "drop";

  /** The key of the operator dashboard's section, owned by module {@code inspection-app}. */
  public static final String DASHBOARD = "dashboard";

  /** The key of the OPC UA server's section, owned by module {@code opcua-server}. */
  public static final String OPCUA = "opcua";

  public ServiceConfig {
    if (line == null) {
      throw new ConfigException("line: required section is missing");
    }
    ingest = ingest == null ? IngestConfig.defaults() : ingest;
    pipeline = pipeline == null ? PipelineConfig.defaults() : pipeline;
    if (pipeline.watchdogLeadMs() >= line.budgetMs()) {
      throw new ConfigException(
          "pipeline.watchdogLeadMs: "
              + pipeline.watchdogLeadMs()
              + " ms leaves no time to judge a frame within line.budgetMs ("
              + line.budgetMs()
              + " ms): every frame would get DEADLINE; it must be below the budget");
    }
    if (inference == null) {
      throw new ConfigException(
          "inference: required section is missing (inference.backend: djl for a trained model)");
    }
    actuators = actuators == null ? ActuatorsConfig.defaults() : actuators;
    actuators = withTravelTime(line, actuators);
    audit = audit == null ? AuditConfig.defaults() : audit;
    archive = archive == null ? ArchiveConfig.defaults() : archive;
    drift = drift == null ? DriftConfig.defaults() : drift;
    admin = admin == null ? AdminConfig.defaults() : admin;
    models = models == null ? ModelsConfig.defaults() : models;
    quality = quality == null ? QualityAlarmConfig.defaults() : quality;
    warmup = warmup == null ? WarmupConfig.defaults() : warmup;
    metrics = metrics == null ? MetricsConfig.defaults() : metrics;
    kafka = kafka == null ? ModuleSection.absent(KAFKA) : kafka;
    kafka.refuseIfGivenWithoutModule("plant-export");
    drop = drop == null ? ModuleSection.absent(DROP) : drop;
    drop.refuseIfGivenWithoutModule("camera-drop");
    dashboard = dashboard == null ? ModuleSection.absent(DASHBOARD) : dashboard;
    dashboard.refuseIfGivenWithoutModule("inspection-app");
    opcua = opcua == null ? ModuleSection.absent(OPCUA) : opcua;
    opcua.refuseIfGivenWithoutModule("opcua-server");
  }

  /**
   * A configuration without the image drop's, the dashboard's and the OPC UA server's sections
   * (their defaults).
   */
  public ServiceConfig(
      LineConfig line,
      IngestConfig ingest,
      PipelineConfig pipeline,
      InferenceConfig inference,
      ActuatorsConfig actuators,
      AuditConfig audit,
      ArchiveConfig archive,
      DriftConfig drift,
      AdminConfig admin,
      ModelsConfig models,
      QualityAlarmConfig quality,
      WarmupConfig warmup,
      MetricsConfig metrics,
      ModuleSection kafka) {
    this(
        line, ingest, pipeline, inference, actuators, audit, archive, drift, admin, models, quality,
        warmup, metrics, kafka, null, null, null);
  }

  /** The same configuration with another image drop section (module {@code camera-drop}). */
  public ServiceConfig withDrop(ModuleSection other) {
    return with(c -> c.drop = other);
  }

  /** The same configuration with another dashboard section (module {@code inspection-app}). */
  public ServiceConfig withDashboard(ModuleSection other) {
    return with(c -> c.dashboard = other);
  }

  /** The same configuration with another OPC UA server section (module {@code opcua-server}). */
  public ServiceConfig withOpcUa(ModuleSection other) {
    return with(c -> c.opcua = other);
  }

  /** A configuration without the plant exporter's section (its defaults: off). */
  public ServiceConfig(
      LineConfig line,
      IngestConfig ingest,
      PipelineConfig pipeline,
      InferenceConfig inference,
      ActuatorsConfig actuators,
      AuditConfig audit,
      ArchiveConfig archive,
      DriftConfig drift,
      AdminConfig admin,
      ModelsConfig models,
      QualityAlarmConfig quality,
      WarmupConfig warmup,
      MetricsConfig metrics) {
    this(
        line, ingest, pipeline, inference, actuators, audit, archive, drift, admin, models, quality,
        warmup, metrics, null);
  }

  /** The same configuration with another plant exporter section (module {@code plant-export}). */
  public ServiceConfig withKafka(ModuleSection other) {
    return with(c -> c.kafka = other);
  }

  /** A configuration with the default per-camera metrics limits. */
  public ServiceConfig(
      LineConfig line,
      IngestConfig ingest,
      PipelineConfig pipeline,
      InferenceConfig inference,
      ActuatorsConfig actuators,
      AuditConfig audit,
      ArchiveConfig archive,
      DriftConfig drift,
      AdminConfig admin,
      ModelsConfig models,
      QualityAlarmConfig quality,
      WarmupConfig warmup) {
    this(
        line, ingest, pipeline, inference, actuators, audit, archive, drift, admin, models, quality,
        warmup, null);
  }

  /** No image archive, admin endpoint or audit trail: for a service assembled in code. */
  private static final ArchiveConfig NO_ARCHIVE = new ArchiveConfig(false, null, null, null, null);

  private static final AdminConfig NO_ADMIN = new AdminConfig(false, null, null);
  private static final AuditConfig NO_AUDIT =
      new AuditConfig(false, null, null, null, null, null, null, null);

  /**
   * A configuration assembled in code (the load generator, tests): no actuator outputs, audit
   * trail, archive or admin endpoint, and no warm start; the {@code with…} methods add them.
   */
  public ServiceConfig(
      LineConfig line, IngestConfig ingest, PipelineConfig pipeline, InferenceConfig inference) {
    this(
        line,
        ingest,
        pipeline,
        inference,
        null,
        NO_AUDIT,
        NO_ARCHIVE,
        null,
        NO_ADMIN,
        null,
        null,
        WarmupConfig.off());
  }

  /** The same configuration with other camera-port settings. */
  public ServiceConfig withIngest(IngestConfig other) {
    return with(c -> c.ingest = other);
  }

  /** The same configuration with other actuator settings. */
  public ServiceConfig withActuators(ActuatorsConfig other) {
    return with(c -> c.actuators = other);
  }

  /** The same configuration with other audit settings. */
  public ServiceConfig withAudit(AuditConfig other) {
    return with(c -> c.audit = other);
  }

  /** The same configuration with other image archive settings. */
  public ServiceConfig withArchive(ArchiveConfig other) {
    return with(c -> c.archive = other);
  }

  /** The same configuration with other admin endpoint settings. */
  public ServiceConfig withAdmin(AdminConfig other) {
    return with(c -> c.admin = other);
  }

  /** The same configuration with other model lifecycle settings. */
  public ServiceConfig withModels(ModelsConfig other) {
    return with(c -> c.models = other);
  }

  /** The same configuration with other per-camera metrics limits. */
  public ServiceConfig withMetrics(MetricsConfig other) {
    return with(c -> c.metrics = other);
  }

  /** A copy with what {@code change} sets on it. */
  private ServiceConfig with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /**
   * The camera ids the configuration names: {@code metrics.cameras}, the cameras with credentials
   * ({@code ingest.cameras}) and the camera ids each actuator output names (a Modbus output's
   * {@code cameras:} slot map), in that order.
   */
  public java.util.Set<String> namedCameras() {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>(metrics.cameras());
    if (ingest.cameras() != null) {
      ids.addAll(ingest.cameras().keySet());
    }
    for (ActuatorOutputConfig o : actuators.outputs()) {
      ids.addAll(o.namedCameras());
    }
    ids.remove(MetricsConfig.OTHER);
    return ids;
  }

  /** The same configuration with other warm-start settings. */
  public ServiceConfig withWarmup(WarmupConfig other) {
    return with(c -> c.warmup = other);
  }

  /** A mutable copy for the {@code with…} methods: each changes one part, then builds. */
  private static final class Copy {
    private LineConfig line;
    private IngestConfig ingest;
    private PipelineConfig pipeline;
    private InferenceConfig inference;
    private ActuatorsConfig actuators;
    private AuditConfig audit;
    private ArchiveConfig archive;
    private DriftConfig drift;
    private AdminConfig admin;
    private ModelsConfig models;
    private QualityAlarmConfig quality;
    private WarmupConfig warmup;
    private MetricsConfig metrics;
    private ModuleSection kafka;
    private ModuleSection drop;
    private ModuleSection dashboard;
    private ModuleSection opcua;

    Copy(ServiceConfig c) {
      line = c.line;
      ingest = c.ingest;
      pipeline = c.pipeline;
      inference = c.inference;
      actuators = c.actuators;
      audit = c.audit;
      archive = c.archive;
      drift = c.drift;
      admin = c.admin;
      models = c.models;
      quality = c.quality;
      warmup = c.warmup;
      metrics = c.metrics;
      kafka = c.kafka;
      drop = c.drop;
      dashboard = c.dashboard;
      opcua = c.opcua;
    }

    ServiceConfig build() {
      return new ServiceConfig(
          line, ingest, pipeline, inference, actuators, audit, archive, drift, admin, models,
          quality, warmup, metrics, kafka, drop, dashboard, opcua);
    }
  }

  /**
   * Fills {@code actuators.timing.travelMs} from the line geometry, and refuses timings under which
   * every reject would be late: the fire time (travel − response) must not come before the end of
   * the verdict budget.
   */
  private static ActuatorsConfig withTravelTime(LineConfig line, ActuatorsConfig actuators) {
    RejectTimingConfig timing = actuators.timing();
    if (timing.travelMs() == null && line.geometry() != null) {
      LineGeometry g = line.geometry();
      timing = timing.withTravelMs(g.cameraToGateMm() / g.beltSpeedMmPerS() * 1000);
      actuators = new ActuatorsConfig(timing, actuators.outputs());
    }
    if (actuators.outputs().isEmpty()) {
      return actuators;
    }
    if (timing.travelMs() == null) {
      throw new ConfigException(
          "actuators.timing.travelMs: required when actuator outputs are configured and the line"
              + " gives budgetMs instead of geometry (time from capture to the reject gate)");
    }
    double fireAfterMs = timing.travelMs() - timing.responseMs();
    if (fireAfterMs < line.budgetMs()) {
      throw new ConfigException(
          String.format(
              java.util.Locale.ROOT,
              "actuators.timing: rejects fire %.1f ms after capture (travelMs %.1f − responseMs"
                  + " %.1f), before the verdict budget of %d ms (line.budgetMs) has run out: every"
                  + " late verdict would miss its part. Lower line.budgetMs or fix the timing",
              fireAfterMs,
              timing.travelMs(),
              timing.responseMs(),
              line.budgetMs()));
    }
    return actuators;
  }

  /**
   * Ring entries keep the largest payload they have held, so the frames held at once can take up to
   * {@code ringSize × maxMessageBytes} of heap. Refuses a configuration where that cannot fit into
   * {@code maxHeapBytes} with room to spare, instead of running out of memory on the line.
   */
  public void checkFitsHeap(long maxHeapBytes) {
    long worst = (long) pipeline.ringSize() * ingest.maxMessageBytes();
    if (worst > maxHeapBytes * 3 / 4) {
      throw new ConfigException(
          String.format(
              java.util.Locale.ROOT,
              "pipeline.ringSize (%d) x ingest.maxMessageBytes (%d) = %.1f GiB of frames could be"
                  + " held at once, more than 3/4 of the Java heap (%.1f GiB): lower one of them"
                  + " or give the JVM more heap (INSPECT_JAVA_OPTS=-Xmx...)",
              pipeline.ringSize(),
              ingest.maxMessageBytes(),
              worst / 1073741824.0,
              maxHeapBytes / 1073741824.0));
    }
  }

  /**
   * Incomplete messages of all camera connections are held in direct (off-heap) buffers, up to
   * {@code ingest.maxBufferedBytes}; a receive buffer can briefly need twice its size while it
   * grows. Refuses a bound above half of {@code maxDirectBytes} (the JVM's direct-memory cap,
   * {@code -XX:MaxDirectMemorySize}, which {@code bin/inspect} sets from {@code
   * INSPECT_MAX_DIRECT}), so that buffering can never end in "Cannot reserve … direct buffer
   * memory".
   */
  public void checkFitsDirectMemory(long maxDirectBytes) {
    if (maxDirectBytes > 0 && ingest.maxBufferedBytes() > maxDirectBytes / 2) {
      throw new ConfigException(
          String.format(
              java.util.Locale.ROOT,
              "ingest.maxBufferedBytes (%d) is more than half of the direct memory cap (%d,"
                  + " -XX:MaxDirectMemorySize, INSPECT_MAX_DIRECT in bin/inspect): lower it or"
                  + " raise the cap",
              ingest.maxBufferedBytes(),
              maxDirectBytes));
    }
  }
}
