package io.lineinspect.core.metrics;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counters and the service-side latency histogram (frame receipt to verdict handed to the
 * connection, service monotonic clock). Thread-safe: written by ingest and inference threads, read
 * by anyone through {@link #snapshot()}.
 */
public final class PipelineMetrics implements VerdictListener {
  private static final long MAX_TRACKED_LATENCY_US = 60_000_000L;

  private final LongAdder published = new LongAdder();
  private final LongAdder fairShareRefused = new LongAdder();
  private final LongAdder verdicts = new LongAdder();
  private final LongAdder pass = new LongAdder();
  private final LongAdder fail = new LongAdder();
  private final LongAdder[] byReason = new LongAdder[ReasonCode.all().length];
  private final LongAdder batches = new LongAdder();
  private final LongAdder batchedFrames = new LongAdder();
  private final LongAdder late = new LongAdder();
  private final LongAdder lateResults = new LongAdder();
  private final LongAdder watchdogVerdicts = new LongAdder();
  private final LongAdder invalidScores = new LongAdder();
  // [0] JPEG, [1] PNG, by EncodedImageCheck.Cause ordinal
  private final LongAdder[][] encodedRefused =
      new LongAdder[2][EncodedImageCheck.Cause.values().length];
  private final Stage[] stages = new Stage[StageName.values().length];
  private final ConcurrentHashMap<String, CameraCounters> cameras = new ConcurrentHashMap<>();
  private final Recorder latencyUs = new Recorder(1, MAX_TRACKED_LATENCY_US, 3);
  private final Histogram totalLatencyUs = new Histogram(1, MAX_TRACKED_LATENCY_US, 3);
  private final LatencyHistogram latency = new LatencyHistogram();
  private volatile CameraSeries cameraSeries = CameraSeries.defaults();

  public PipelineMetrics() {
    for (LongAdder[] row : encodedRefused) {
      for (int i = 0; i < row.length; i++) {
        row[i] = new LongAdder();
      }
    }
    for (int i = 0; i < byReason.length; i++) {
      byReason[i] = new LongAdder();
    }
    for (StageName n : StageName.values()) {
      stages[n.ordinal()] = new Stage();
    }
  }

  /** The stages a judged frame passes, in order. */
  public enum StageName {
    /** Receipt until a preprocess worker picked the frame up. */
    QUEUE_WAIT,
    /** Preprocessing (decode, resize, normalise). */
    PREPROCESS,
    /** Preprocessed until its batch started inference. */
    BATCH_WAIT,
    /** The batch's inference call. */
    INFERENCE,
    /** Inference end until the verdict was handed to the connection. */
    EMIT
  }

  /** One stage's latency histograms (microseconds): since start, and buckets plus window. */
  private static final class Stage {
    final Recorder recorder = new Recorder(1, MAX_TRACKED_LATENCY_US, 3);
    final Histogram total = new Histogram(1, MAX_TRACKED_LATENCY_US, 3);
    final LatencyHistogram exported = new LatencyHistogram();
  }

  /**
   * Which camera ids get counters of their own ({@link CameraSeries}); the others are counted under
   * {@link CameraSeries#OTHER}. Set once at wiring time, before the first frame (default: {@link
   * CameraSeries#defaults()}).
   */
  public void limitCameras(CameraSeries series) {
    this.cameraSeries = series;
  }

  /**
   * The camera series policy in use (the metrics endpoint labels every per-camera figure by it).
   */
  public CameraSeries cameraSeries() {
    return cameraSeries;
  }

  /** Receipt-to-verdict latency as exported: buckets and the rolling window. */
  public LatencyHistogram latency() {
    return latency;
  }

  /** One stage's latency as exported: buckets and the rolling window. */
  public LatencyHistogram stageLatency(StageName name) {
    return stages[name.ordinal()].exported;
  }

  /** Verdict counters of one camera. */
  private static final class CameraCounters {
    final LongAdder verdicts = new LongAdder();
    final LongAdder fail = new LongAdder();
    final LongAdder[] byReason = new LongAdder[ReasonCode.all().length];

    CameraCounters() {
      for (int i = 0; i < byReason.length; i++) {
        byReason[i] = new LongAdder();
      }
    }
  }

  /**
   * Inference thread: the per-stage latencies of a frame that went through the pipeline. Stages it
   * skipped (timestamps 0) are not recorded.
   */
  public void recordStages(FrameEvent e) {
    long received = e.receivedNs();
    long preStart = e.preprocessStartNs();
    long preEnd = e.preprocessedNs();
    long inferStart = e.inferStartNs();
    long inferEnd = e.inferEndNs();
    long emitted = e.emittedNs();
    if (preStart != 0) {
      stage(StageName.QUEUE_WAIT, preStart - received);
      stage(StageName.PREPROCESS, preEnd - preStart);
    }
    if (inferStart != 0) {
      if (preEnd != 0) {
        stage(StageName.BATCH_WAIT, inferStart - preEnd);
      }
      stage(StageName.INFERENCE, inferEnd - inferStart);
      stage(StageName.EMIT, emitted - inferEnd);
    }
  }

  private void stage(StageName name, long ns) {
    long us = Math.min(MAX_TRACKED_LATENCY_US, Math.max(1, ns / 1_000));
    Stage st = stages[name.ordinal()];
    st.recorder.recordValue(us);
    st.exported.record(us);
  }

  /** A backend gave a score that is not a score (NaN, infinite, outside [0, 1]). */
  public void onInvalidScore() {
    invalidScores.increment();
  }

  /** Frames failed safe INFERENCE_ERROR because their score was not a finite number in [0, 1]. */
  public long invalidScores() {
    return invalidScores.sum();
  }

  /** Preprocess worker: a JPEG/PNG payload refused by {@link EncodedImageCheck} before decoding. */
  public void onEncodedRefused(PixelFormat format, EncodedImageCheck.Cause cause) {
    encodedRefused[format == PixelFormat.PNG ? 1 : 0][cause.ordinal()].increment();
  }

  /** Encoded payloads of {@code format} (JPEG or PNG) refused before decoding for {@code cause}. */
  public long encodedRefused(PixelFormat format, EncodedImageCheck.Cause cause) {
    return encodedRefused[format == PixelFormat.PNG ? 1 : 0][cause.ordinal()].sum();
  }

  /** A model result arrived after the watchdog had already sent the fail-safe verdict. */
  public void onLateResult() {
    lateResults.increment();
  }

  /** The deadline watchdog sent a fail-safe verdict. */
  public void onWatchdogVerdict() {
    watchdogVerdicts.increment();
  }

  /** A frame was refused (OVERLOAD) because its camera already held its fair share. */
  public void onFairShareRefused() {
    fairShareRefused.increment();
  }

  /**
   * Frames refused because their camera already held its fair share of admission (part of the
   * OVERLOAD verdicts).
   */
  public long fairShareRefused() {
    return fairShareRefused.sum();
  }

  /** A frame entered the ring. */
  public void onPublished() {
    published.increment();
  }

  /** The inference stage ran a batch of {@code size} frames. */
  public void onBatch(int size) {
    batches.increment();
    batchedFrames.add(size);
  }

  @Override
  public void onVerdict(VerdictView v) {
    verdicts.increment();
    (v.verdict() == Verdict.PASS ? pass : fail).increment();
    byReason[v.reason().ordinal()].increment();
    long us = Math.max(1, (v.emittedNs() - v.receivedNs()) / 1_000);
    latencyUs.recordValue(Math.min(us, MAX_TRACKED_LATENCY_US));
    latency.record(us);
    CameraCounters c = cameras.get(v.cameraId());
    if (c == null) {
      // A camera beyond the series limit: counted under "other" (one more lookup per verdict).
      c = cameras.computeIfAbsent(cameraSeries.label(v.cameraId()), k -> new CameraCounters());
    }
    c.verdicts.increment();
    if (v.verdict() == Verdict.FAIL) {
      c.fail.increment();
    }
    c.byReason[v.reason().ordinal()].increment();
  }

  /**
   * The pipeline's result for a frame came after its deadline and the watchdog had not sent the
   * fail-safe verdict yet: the pipeline sent it (reason DEADLINE), possibly late.
   */
  public void onLate() {
    late.increment();
  }

  /**
   * Forgets everything counted so far: called once, when the service's warm-up has ended and before
   * any camera is accepted, so that no warm-up frame shows in {@code /metrics} (its verdicts never
   * reach {@link #onVerdict}; this clears the stage timings, batch and watchdog counters it left).
   */
  public synchronized void reset() {
    for (LongAdder a :
        new LongAdder[] {
          published,
          verdicts,
          pass,
          fail,
          batches,
          batchedFrames,
          late,
          lateResults,
          watchdogVerdicts,
          invalidScores,
          fairShareRefused
        }) {
      a.reset();
    }
    for (LongAdder a : byReason) {
      a.reset();
    }
    for (LongAdder[] row : encodedRefused) {
      for (LongAdder a : row) {
        a.reset();
      }
    }
    for (Stage st : stages) {
      st.recorder.reset();
      st.total.reset();
      st.exported.reset();
    }
    latency.reset();
    cameras.clear();
    latencyUs.reset();
    totalLatencyUs.reset();
  }

  /**
   * A consistent-enough view for progress lines and summaries. The latency histogram covers
   * everything recorded since start; call from one reader thread at a time.
   */
  public synchronized Snapshot snapshot() {
    totalLatencyUs.add(latencyUs.getIntervalHistogram());
    Map<ReasonCode, Long> reasons = new EnumMap<>(ReasonCode.class);
    for (ReasonCode r : ReasonCode.all()) {
      reasons.put(r, byReason[r.ordinal()].sum());
    }
    Map<StageName, StageSnapshot> stageSnapshots = new EnumMap<>(StageName.class);
    for (StageName n : StageName.values()) {
      Stage st = stages[n.ordinal()];
      st.total.add(st.recorder.getIntervalHistogram());
      stageSnapshots.put(
          n,
          new StageSnapshot(
              st.total.getTotalCount(),
              st.total.getValueAtPercentile(50),
              st.total.getValueAtPercentile(99),
              st.total.getMaxValue()));
    }
    Map<String, CameraSnapshot> perCamera = new TreeMap<>();
    cameras.forEach(
        (id, c) -> {
          Map<ReasonCode, Long> r = new EnumMap<>(ReasonCode.class);
          for (ReasonCode code : ReasonCode.all()) {
            r.put(code, c.byReason[code.ordinal()].sum());
          }
          perCamera.put(id, new CameraSnapshot(c.verdicts.sum(), c.fail.sum(), Map.copyOf(r)));
        });
    return new Snapshot(
        published.sum(),
        verdicts.sum(),
        pass.sum(),
        fail.sum(),
        Collections.unmodifiableMap(reasons),
        batches.sum(),
        batchedFrames.sum(),
        late.sum(),
        lateResults.sum(),
        watchdogVerdicts.sum(),
        Collections.unmodifiableMap(stageSnapshots),
        Collections.unmodifiableMap(perCamera),
        totalLatencyUs.getValueAtPercentile(50),
        totalLatencyUs.getValueAtPercentile(99),
        totalLatencyUs.getMaxValue());
  }

  /** Point-in-time figures; latencies in microseconds. */
  public record Snapshot(
      long published,
      long verdicts,
      long pass,
      long fail,
      Map<ReasonCode, Long> byReason,
      long batches,
      long batchedFrames,
      long late,
      long lateResults,
      long watchdogVerdicts,
      Map<StageName, StageSnapshot> stages,
      Map<String, CameraSnapshot> cameras,
      long latencyP50Us,
      long latencyP99Us,
      long latencyMaxUs) {

    /** Verdicts that were fail-safe, whatever the reason. */
    public long failSafe() {
      long n = 0;
      for (Map.Entry<ReasonCode, Long> e : byReason.entrySet()) {
        if (e.getKey().isFailSafe()) {
          n += e.getValue();
        }
      }
      return n;
    }

    public double meanBatchSize() {
      return batches == 0 ? 0 : (double) batchedFrames / batches;
    }
  }

  /** One stage's latency so far, microseconds. */
  public record StageSnapshot(long count, long p50Us, long p99Us, long maxUs) {}

  /** One camera's verdicts so far. */
  public record CameraSnapshot(long verdicts, long fail, Map<ReasonCode, Long> byReason) {}
}
