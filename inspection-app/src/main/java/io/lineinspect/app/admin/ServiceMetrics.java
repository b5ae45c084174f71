package io.lineinspect.app.admin;

import io.lineinspect.app.InspectionService;
import io.lineinspect.camera.drop.ImageDrop;
import io.lineinspect.camera.ingest.IngestMetrics;
import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.ClockSkew;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.metrics.CameraSeries;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.metrics.LatencyHistogram;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.model.ShadowRunner;
import io.lineinspect.core.quality.UnfitAlarm;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.plant.KafkaExporter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.MetricWithFixedMetadata;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The service's Prometheus metrics: collectors on a {@link PrometheusRegistry} that read the
 * service's own counters at scrape time (nothing is recorded twice), the latency histograms and
 * rolling-window summaries of {@link PipelineMetrics}, and the JVM's memory, GC and thread metrics;
 * rendered by the client library's {@link PrometheusTextFormatWriter}. Every name is listed in
 * {@code docs/operations.md}.
 *
 * <p>Per-camera series are labelled through the pipeline's {@link CameraSeries}: named cameras and
 * a bounded number of others get their own, every further camera is {@code camera="other"}.
 *
 * <p>Owned by the admin endpoint; {@link #write} may be called from several HTTP threads (scrapes
 * are serialised).
 */
public final class ServiceMetrics {
  /** The content type of {@link #write}'s output. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /**
   * JVM metrics are process-wide: registered once, on a registry of their own, so that a service
   * closed in a JVM that starts another (tests) is not kept alive by the library's registry list.
   */
  private static final PrometheusRegistry JVM = new PrometheusRegistry();

  static {
    JvmMetrics.builder().register(JVM);
  }

  private static final double[] BOUNDS_S = boundsSeconds();

  /**
   * What the metrics need of the model lifecycle, which is not public API: the admin endpoint
   * supplies it.
   */
  public interface Models {
    /** Models switched in since start. */
    long switches();

    /** Candidates refused since start. */
    long refusals();

    /** The running shadow model, or null. */
    ShadowRunner shadow();

    /** The start-up golden-set gate's result, or null when it did not run. */
    StartupGate startupGate();

    /** Output errors of the served model since it was loaded, or -1 when it cannot tell. */
    long outputErrors();
  }

  /** The start-up gate: which model, how many golden images it got right, how long it took. */
  public record StartupGate(String model, int correct, int total, long millis) {}

  private final InspectionService service;
  private final Models models;
  private final CameraSeries cameras;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  // Read by the callbacks of one scrape; written before it under the lock.
  private PipelineMetrics.Snapshot pipeline;
  private ActuatorMetrics.Snapshot actuators;

  public ServiceMetrics(InspectionService service, Models models) {
    this.service = service;
    this.models = models;
    this.cameras = service.pipeline().metrics().cameraSeries();
    registerPipeline();
    registerLatency();
    registerModel();
    registerHealth();
    registerIngest();
    if (service.rejects() != null) {
      registerRejects();
    }
    registerCameras();
    if (service.drift() != null) {
      registerDrift(service.drift());
    }
    if (service.archive() != null) {
      registerArchive(service.archive());
    }
    if (service.audit() != null) {
      registerAudit(service.audit());
    }
    if (service.kafka() != null) {
      registerKafka(service.kafka());
    }
    registerDrop();
  }

  /** Writes the exposition of every metric now (Prometheus text format 0.0.4). */
  public synchronized void write(OutputStream out) throws IOException {
    pipeline = service.pipeline().metrics().snapshot();
    actuators = service.rejects() == null ? null : service.rejects().metrics().snapshot();
    MetricSnapshots.Builder all = MetricSnapshots.builder();
    for (MetricSnapshot s : registry.scrape()) {
      all.metricSnapshot(s);
    }
    for (MetricSnapshot s : JVM.scrape()) {
      all.metricSnapshot(s);
    }
    writer.write(out, all.build());
  }

  /** {@link #write} into a string. */
  public String render() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
    try {
      write(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen: writing to memory", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * The admin endpoint's refused requests, by outcome: {@code UNAUTHENTICATED} (401: no or a wrong
   * credential) and {@code FORBIDDEN} (403: a valid credential of too low a role).
   */
  void registerAdminRefusals(LongSupplier unauthenticated, LongSupplier forbidden) {
    counter(
        "inspection_admin_refused_total",
        "admin requests refused since start: UNAUTHENTICATED (401, no or a wrong credential),"
            + " FORBIDDEN (403, a role too low); each is also an admin-refused line in the audit"
            + " chain (rate-limited there)",
        cb -> {
          cb.call(unauthenticated.getAsLong(), "UNAUTHENTICATED");
          cb.call(forbidden.getAsLong(), "FORBIDDEN");
        },
        "outcome");
  }

  private void counter(String name, String help, LongSupplier value) {
    counter(name, help, cb -> cb.call(value.getAsLong()));
  }

  private void counter(
      String name, String help, Consumer<CounterWithCallback.Callback> cb, String... labels) {
    named(CounterWithCallback.builder(), name, help, labels).callback(cb).register(registry);
  }

  private void gauge(String name, String help, DoubleSupplier value) {
    gauge(name, help, cb -> cb.call(value.getAsDouble()));
  }

  private void gauge(
      String name, String help, Consumer<GaugeWithCallback.Callback> cb, String... labels) {
    named(GaugeWithCallback.builder(), name, help, labels).callback(cb).register(registry);
  }

  private static <B extends MetricWithFixedMetadata.Builder<B, ?>> B named(
      B builder, String name, String help, String... labels) {
    return builder.name(name).help(help).labelNames(labels);
  }

  private static double bit(boolean b) {
    return b ? 1 : 0;
  }

  private void registerPipeline() {
    IngestMetrics in = service.server().metrics();
    counter("inspection_frames_received_total", "FRAMEs received from cameras", in::frames);
    gauge(
        "inspection_cameras_connected",
        "camera connections open now",
        () -> service.server().connectedCameras());
    counter(
        "inspection_verdicts_total",
        "verdicts sent, by verdict and reason",
        cb -> {
          String failSafe = service.config().line().failSafeVerdict().name();
          long judgedPass = pipeline.pass() - ("PASS".equals(failSafe) ? pipeline.failSafe() : 0);
          for (Map.Entry<ReasonCode, Long> e : pipeline.byReason().entrySet()) {
            if (e.getKey() == ReasonCode.NONE) {
              cb.call(judgedPass, "PASS", "NONE");
              cb.call(e.getValue() - judgedPass, "FAIL", "NONE");
            } else {
              cb.call(e.getValue(), failSafe, e.getKey().name());
            }
          }
        },
        "verdict",
        "reason");
    counter(
        "inspection_camera_verdicts_total",
        "verdicts sent, by camera and reason (unnamed cameras beyond the limit: camera=\"other\")",
        cb ->
            pipeline
                .cameras()
                .forEach((cam, c) -> c.byReason().forEach((r, n) -> cb.call(n, cam, r.name()))),
        "camera",
        "reason");
    counter(
        "inspection_camera_rejects_total",
        "FAIL verdicts, by camera",
        cb -> pipeline.cameras().forEach((cam, c) -> cb.call(c.fail(), cam)),
        "camera");
    counter("inspection_batches_total", "inference batches run", () -> pipeline.batches());
    counter(
        "inspection_batched_frames_total",
        "frames in those batches (mean batch = ratio)",
        () -> pipeline.batchedFrames());
    gauge(
        "inspection_queue_depth",
        "frames in the service now (received, not yet judged)",
        () -> service.pipeline().inFlight());
    counter(
        "inspection_watchdog_verdicts_total",
        "fail-safe verdicts sent by the deadline watchdog",
        () -> pipeline.watchdogVerdicts());
    counter(
        "inspection_late_results_total",
        "model results that came after the watchdog had answered",
        () -> pipeline.lateResults());
  }

  private void registerLatency() {
    PipelineMetrics m = service.pipeline().metrics();
    Map<String, LatencyHistogram> total = new LinkedHashMap<>();
    total.put(null, m.latency());
    Map<String, LatencyHistogram> stages = new LinkedHashMap<>();
    for (PipelineMetrics.StageName n : PipelineMetrics.StageName.values()) {
      stages.put(n.name().toLowerCase(Locale.ROOT), m.stageLatency(n));
    }
    histogram(
        "inspection_verdict_latency_seconds",
        "receipt-to-verdict latency (service clock), cumulative buckets since start",
        total);
    histogram(
        "inspection_stage_duration_seconds",
        "time per pipeline stage, cumulative buckets since start",
        stages);
    summary(
        "inspection_latency_seconds",
        "receipt-to-verdict latency quantiles over the last "
            + LatencyHistogram.WINDOW_SECONDS
            + " s (service clock)",
        total);
    summary(
        "inspection_stage_latency_seconds",
        "latency quantiles per pipeline stage over the last "
            + LatencyHistogram.WINDOW_SECONDS
            + " s",
        stages);
  }

  /** A classic histogram per series; a null key is the one series without a {@code stage} label. */
  private void histogram(String name, String help, Map<String, LatencyHistogram> series) {
    registry.register(
        new Collector() {
          @Override
          public MetricSnapshot collect() {
            HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
            series.forEach(
                (stage, h) -> {
                  long[] counts = new long[BOUNDS_S.length];
                  for (int i = 0; i < counts.length; i++) {
                    counts[i] = h.bucket(i);
                  }
                  b.dataPoint(
                      HistogramSnapshot.HistogramDataPointSnapshot.builder()
                          .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_S, counts))
                          .sum(h.sumUs() / 1e6)
                          .labels(stage == null ? Labels.EMPTY : Labels.of("stage", stage))
                          .build());
                });
            return b.build();
          }

          @Override
          public String getPrometheusName() {
            return name;
          }
        });
  }

  /**
   * A summary per series: quantiles 0.5, 0.99 and 1 (the maximum) over the rolling window (NaN
   * while the window is empty); {@code _count} and {@code _sum} since start.
   */
  private void summary(String name, String help, Map<String, LatencyHistogram> series) {
    SummaryWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(series.containsKey(null) ? new String[0] : new String[] {"stage"})
        .callback(
            cb -> {
              long nowMs = System.currentTimeMillis();
              series.forEach(
                  (stage, h) -> {
                    LatencyHistogram.Window w = h.window(nowMs);
                    double nan = Double.NaN;
                    Quantiles q =
                        Quantiles.of(
                            new Quantile(0.5, w.count() == 0 ? nan : w.p50Us() / 1e6),
                            new Quantile(0.99, w.count() == 0 ? nan : w.p99Us() / 1e6),
                            new Quantile(1, w.count() == 0 ? nan : w.maxUs() / 1e6));
                    if (stage == null) {
                      cb.call(h.count(), h.sumUs() / 1e6, q);
                    } else {
                      cb.call(h.count(), h.sumUs() / 1e6, q, stage);
                    }
                  });
            })
        .register(registry);
  }

  private static double[] boundsSeconds() {
    long[] us = LatencyHistogram.BOUNDS_US;
    double[] s = new double[us.length + 1];
    for (int i = 0; i < us.length; i++) {
      s[i] = us[i] / 1e6;
    }
    s[us.length] = Double.POSITIVE_INFINITY;
    return s;
  }

  private void registerModel() {
    registry.register(
        new Collector() {
          @Override
          public MetricSnapshot collect() {
            InfoSnapshot.Builder b =
                InfoSnapshot.builder()
                    .name("inspection_model")
                    .help("the model judging frames (value 1)");
            ModelInfo model = service.servedModel();
            if (model != null) {
              b.dataPoint(
                  InfoSnapshot.InfoDataPointSnapshot.builder()
                      .labels(
                          Labels.of(
                              "name",
                              model.name(),
                              "version",
                              model.version(),
                              "sha256",
                              model.sha256()))
                      .build());
            }
            return b.build();
          }

          @Override
          public String getPrometheusName() {
            return "inspection_model_info";
          }
        });
    counter(
        "inspection_model_switches_total",
        "models switched in (activations and rollbacks) since start",
        models::switches);
    counter(
        "inspection_model_refusals_total",
        "candidate models refused (invalid, or failed the golden-set gate) since start",
        models::refusals);
    gauge(
        "inspection_startup_gate_seconds",
        "how long the model served at start took to judge its golden set before the service was"
            + " ready (absent when the gate did not run)",
        cb -> {
          StartupGate g = models.startupGate();
          if (g != null) {
            cb.call(
                g.millis() / 1000.0,
                g.model(),
                Integer.toString(g.correct()),
                Integer.toString(g.total()));
          }
        },
        "model",
        "correct",
        "total");
    counter(
        "inspection_model_output_errors_total",
        "frames failed safe INFERENCE_ERROR because the served model's output broke its manifest"
            + " (NaN, out of range, class values not summing to 1), since that model was loaded",
        cb -> {
          ModelInfo model = service.servedModel();
          long n = models.outputErrors();
          if (model != null && n >= 0) {
            cb.call(n, model.id());
          }
        },
        "model");
    counter(
        "inspection_shadow_samples_total",
        "frames of the running shadow model, by outcome (agreed, disagreed, skipped, failed)",
        cb -> {
          ShadowRunner shadow = models.shadow();
          if (shadow != null) {
            ShadowRunner.Stats st = shadow.stats();
            String id = shadow.candidate().id();
            cb.call(st.agreed(), id, "agreed");
            cb.call(st.disagreed(), id, "disagreed");
            cb.call(st.skippedBusy(), id, "skipped");
            cb.call(st.failed(), id, "failed");
          }
        },
        "candidate",
        "outcome");
    gauge(
        "inspection_ready",
        "1 once the model is warmed up and cameras are accepted",
        () -> bit(service.ready()));
  }

  private void registerHealth() {
    gauge(
        "inspection_healthy",
        "1 while every stage runs (see /health)",
        () -> bit(service.health().problems().isEmpty()));
    gauge(
        "inspection_stage_up",
        "1 while the stage thread runs and makes progress",
        cb -> {
          long now = System.nanoTime();
          for (Stage st : service.health().stages()) {
            cb.call(bit(st.problem(now) == null), st.name());
          }
        },
        "stage");
    counter(
        "inspection_stage_errors_total",
        "unexpected errors a stage loop caught and continued after",
        cb -> service.health().stages().forEach(st -> cb.call(st.errors(), st.name())),
        "stage");
    counter(
        "inspection_listener_errors_total",
        "exceptions thrown by a verdict listener (isolated: the verdict still went on)",
        cb -> service.pipeline().listenerErrors().forEach((name, n) -> cb.call(n, name)),
        "listener");
    PipelineMetrics m = service.pipeline().metrics();
    counter(
        "inspection_invalid_scores_total",
        "frames failed safe INFERENCE_ERROR: the model's score was NaN, infinite or outside [0, 1]",
        m::invalidScores);
    counter(
        "inspection_translator_errors_total",
        "frames that could not be copied into the ring (failed safe BAD_IMAGE)",
        () -> service.pipeline().translatorErrors());
    counter(
        "inspection_encoded_refused_total",
        "JPEG/PNG payloads refused as BAD_IMAGE before decoding (partial or corrupt), by cause",
        cb -> {
          for (PixelFormat f : new PixelFormat[] {PixelFormat.JPEG, PixelFormat.PNG}) {
            for (EncodedImageCheck.Cause c : EncodedImageCheck.Cause.values()) {
              cb.call(m.encodedRefused(f, c), f.name(), c.name());
            }
          }
        },
        "format",
        "cause");
  }

  private void registerIngest() {
    IngestMetrics in = service.server().metrics();
    counter(
        "inspection_ingest_errors_total",
        "protocol ERRORs sent to cameras, by error code (docs/protocol.md section 7)",
        cb -> {
          for (ErrorCode code : ErrorCode.values()) {
            cb.call(in.errors(code), code.name());
          }
        },
        "code");
    counter(
        "inspection_ingest_limited_total",
        "client limits hit, by limit (docs/security.md; FAIR_SHARE: OVERLOAD for a camera over its"
            + " share of admission; TLS_HANDSHAKE: a connection whose TLS handshake failed)",
        cb -> {
          for (IngestMetrics.Limit l : IngestMetrics.Limit.values()) {
            cb.call(in.limited(l), l.name());
          }
          cb.call(service.pipeline().metrics().fairShareRefused(), "FAIR_SHARE");
        },
        "limit");
    counter(
        "inspection_ingest_tls_handshakes_total",
        "TLS handshakes completed on the camera port (ingest.tls; failed ones: limit TLS_HANDSHAKE)",
        in::tlsHandshakes);
    gauge(
        "inspection_ingest_buffered_bytes",
        "bytes of incomplete camera messages held now (ingest.maxBufferedBytes)",
        in::bufferedBytes);
    counter(
        "inspection_frames_truncated_total",
        "connections that closed in the middle of a message (that frame was not received)",
        in::truncatedAtDisconnect);
    counter(
        "inspection_verdicts_undeliverable_total",
        "verdicts whose camera had disconnected (they still reached actuators and audit)",
        in::verdictsUndeliverable);
  }

  private void registerRejects() {
    counter(
        "inspection_rejects_scheduled_total",
        "FAIL parts whose reject was scheduled",
        () -> actuators.rejectsScheduled());
    counter(
        "inspection_rejects_missed_total",
        "rejects that did not reach their part, by cause",
        cb -> {
          for (MissCause c : MissCause.all()) {
            cb.call(actuators.missed().get(c), c.name());
          }
        },
        "cause");
    gauge(
        "inspection_actuator_connected",
        "1 while the actuator output is connected",
        cb -> outputs((name, o) -> cb.call(bit(o.connected()), name)),
        "output");
    counter(
        "inspection_actuator_delivered_total",
        "rejects confirmed by the device",
        cb -> outputs((name, o) -> cb.call(o.delivered(), name)),
        "output");
    counter(
        "inspection_camera_clock_skew_total",
        "verdicts whose capture time was not trusted (reject timed from receipt), by cause",
        cb -> {
          Map<String, long[]> byLabel = new TreeMap<>();
          service
              .rejects()
              .metrics()
              .clockSkewByCamera()
              .forEach(
                  (cam, byCause) -> {
                    long[] sum =
                        byLabel.computeIfAbsent(
                            cameras.label(cam), k -> new long[ClockSkew.values().length]);
                    byCause.forEach((cause, n) -> sum[cause.ordinal()] += n);
                  });
          byLabel.forEach(
              (cam, sum) -> {
                for (ClockSkew c : ClockSkew.values()) {
                  cb.call(sum[c.ordinal()], cam, c.name());
                }
              });
        },
        "camera",
        "cause");
    counter("inspection_alarms_total", "alarms raised (missed rejects)", () -> actuators.alarms());
  }

  private void outputs(java.util.function.BiConsumer<String, ActuatorMetrics.OutputSnapshot> f) {
    actuators
        .outputs()
        .forEach(
            (name, o) -> {
              if (!ActuatorMetrics.SCHEDULER.equals(name)) {
                f.accept(name, o);
              }
            });
  }

  private void registerCameras() {
    gauge(
        "inspection_camera_clock_offset_seconds",
        "camera clock offset estimated from its HEARTBEAT timestamps: service clock minus camera"
            + " clock (positive = camera behind), NaN without a recent timestamp; camera=\"other\":"
            + " the largest offset of those cameras",
        cb -> {
          Map<String, Double> byLabel = new TreeMap<>();
          service
              .cameraClocks()
              .offsetsUs()
              .forEach(
                  (cam, us) -> {
                    double s = us == CameraClocks.UNKNOWN ? Double.NaN : us / 1e6;
                    byLabel.merge(cameras.label(cam), s, ServiceMetrics::largerOffset);
                  });
          byLabel.forEach((cam, s) -> cb.call(s, cam));
        },
        "camera");
    UnfitAlarm unfit = service.unfitAlarm();
    gauge(
        "inspection_camera_unfit_alarm",
        "1 while the camera keeps sending frames unfit to judge (quality.alarmAfter in a row);"
            + " camera=\"other\": 1 while any of those cameras has it raised",
        cb -> {
          // A camera with its own series keeps it while the bounded alarm state holds none of it.
          Map<String, Boolean> byLabel = new TreeMap<>();
          cameras.labels().forEach(cam -> byLabel.put(cam, false));
          unfit
              .alarmStates()
              .forEach((cam, on) -> byLabel.merge(cameras.label(cam), on, Boolean::logicalOr));
          byLabel.forEach((cam, on) -> cb.call(bit(on), cam));
        },
        "camera");
    counter(
        "inspection_camera_unfit_alarms_total",
        "times the camera's unfit-image alarm was raised",
        cb -> {
          Map<String, Long> byLabel = new TreeMap<>();
          cameras.labels().forEach(cam -> byLabel.put(cam, 0L));
          unfit
              .alarmStates()
              .keySet()
              .forEach(cam -> byLabel.merge(cameras.label(cam), unfit.raised(cam), Long::sum));
          byLabel.forEach((cam, n) -> cb.call(n, cam));
        },
        "camera");
  }

  /** The offset farther from 0, NaN only when both are. */
  static double largerOffset(double a, double b) {
    if (Double.isNaN(a)) {
      return b;
    }
    if (Double.isNaN(b)) {
      return a;
    }
    return Math.abs(b) > Math.abs(a) ? b : a;
  }

  private void registerDrift(DriftMonitor drift) {
    gauge(
        "inspection_drift_psi",
        "population stability index vs the baseline, per feature (NaN until collected)",
        cb -> drift.psi().forEach((f, psi) -> cb.call(psi, f.name().toLowerCase(Locale.ROOT))),
        "feature");
    gauge(
        "inspection_drift_alarm",
        "1 once a feature drifted beyond drift.psiAlarm",
        () -> bit(drift.alarm()));
  }

  private void registerArchive(ImageArchive archive) {
    counter(
        "inspection_archive_images_total",
        "images archived, skipped, failed, evicted",
        cb -> {
          cb.call(archive.saved(), "saved");
          cb.call(archive.skipped(), "skipped");
          cb.call(archive.failed(), "failed");
          cb.call(archive.evicted(), "evicted");
        },
        "result");
  }

  private void registerAudit(AuditLog audit) {
    counter("inspection_audit_written_total", "audit records written", audit::written);
    gauge("inspection_audit_backlog", "records waiting to be written", audit::backlog);
    counter("inspection_audit_dropped_total", "records not written: queue full", audit::dropped);
    counter(
        "inspection_audit_camera_dropped_total",
        "records not written because their camera held its share of the audit queue, by camera"
            + " (each gap is also a \"dropped\" line in the chain)",
        cb -> {
          // Every camera the pipeline counts (0 until it loses records), then any other label.
          Map<String, Long> dropped = new LinkedHashMap<>(audit.droppedByCamera());
          pipeline.cameras().keySet().forEach(cam -> cb.call(dropped.getOrDefault(cam, 0L), cam));
          dropped.keySet().removeAll(pipeline.cameras().keySet());
          dropped.forEach((cam, n) -> cb.call(n, cam));
        },
        "camera");
    counter(
        "inspection_audit_retention_deleted_segments_total",
        "audit segments deleted by retention (each recorded in the chain first)",
        audit::retentionDeleted);
    counter("inspection_audit_lost_total", "records lost to write errors", audit::lost);
    counter(
        "inspection_audit_write_errors_total",
        "audit write errors (disk full, I/O)",
        audit::writeErrors);
  }

  private void registerKafka(KafkaExporter kafka) {
    counter(
        "inspection_kafka_records_total",
        "plant-export records: exported (acknowledged by the broker), spooled (written to the"
            + " spool, catch-up included), refused (spool full), queue_dropped (exporter queue"
            + " full); refused and queue_dropped are recorded as gap records",
        cb -> {
          cb.call(kafka.exported(), "exported");
          cb.call(kafka.spooled(), "spooled");
          cb.call(kafka.refused(), "refused");
          cb.call(kafka.queueDropped(), "queue_dropped");
        },
        "result");
    counter(
        "inspection_kafka_send_failures_total",
        "times the Kafka producer failed and was replaced (its records are sent again)",
        kafka::sendFailures);
    gauge("inspection_kafka_spool_bytes", "bytes the Kafka spool takes on disk", kafka::spoolBytes);
    gauge(
        "inspection_kafka_spool_records",
        "spooled records not yet acknowledged by the broker",
        kafka::spoolRecords);
    gauge(
        "inspection_kafka_broker_unreachable",
        "1 while the broker is considered unreachable (records waiting, no acknowledgement 3 s)",
        () -> kafka.outage() ? 1 : 0);
    gauge(
        "inspection_kafka_spool_alarm",
        "1 while the spool is at or above kafka.spoolAlarmPercent, or full",
        () -> kafka.alarmActive() ? 1 : 0);
  }

  /**
   * The image drop's counters ({@code drop:}, hot folder and SFTP). Read at each scrape, since the
   * drop starts after the admin endpoint; no samples while the drop is off.
   */
  private void registerDrop() {
    counter(
        "inspection_drop_files_total",
        "files seen by the image drop, by outcome: judged (published, one verdict and one result"
            + " file each), bad (judged BAD_IMAGE by the drop), partial (upload not closed, never"
            + " judged), unrecognised (no part identity, moved to rejected/), leftover (uploads"
            + " set aside at start-up)",
        cb -> {
          ImageDrop d = service.drop();
          if (d != null) {
            cb.call(d.images(), "judged");
            cb.call(d.badFiles(), "bad");
            cb.call(d.partialUploads(), "partial");
            cb.call(d.unrecognisedFiles(), "unrecognised");
            cb.call(d.leftoverFiles(), "leftover");
          }
        },
        "outcome");
    counter(
        "inspection_drop_quota_refused_total",
        "SFTP writes refused because the drop directory was at its quota",
        cb -> {
          ImageDrop d = service.drop();
          if (d != null) {
            cb.call(d.quotaRefusals());
          }
        });
    counter(
        "inspection_drop_results_total",
        "result files: written, failed (the verdict still reached audit and actuators)",
        cb -> {
          ImageDrop d = service.drop();
          if (d != null) {
            cb.call(d.resultsWritten(), "written");
            cb.call(d.resultErrors(), "failed");
          }
        },
        "result");
    gauge(
        "inspection_drop_used_bytes",
        "bytes under the drop directory (against drop.maxBytes)",
        cb -> {
          ImageDrop d = service.drop();
          if (d != null) {
            cb.call(d.usedBytes());
          }
        });
  }
}
