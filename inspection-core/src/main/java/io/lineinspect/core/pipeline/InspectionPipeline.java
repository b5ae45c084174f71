package io.lineinspect.core.pipeline;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventTranslatorThreeArg;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import io.lineinspect.core.batching.BatchTimingModel;
import io.lineinspect.core.batching.BatchingInferenceProcessor;
import io.lineinspect.core.batching.ParkingTimeoutWaitStrategy;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Decider;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.IsolatedListeners;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.health.StageHealth;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The line path inside the service: a multi-producer Disruptor ring of preallocated {@link
 * FrameEvent}s, {@code preprocessWorkers} parallel preprocess handlers, then one {@link
 * BatchingInferenceProcessor} that batches, infers, decides and emits.
 *
 * <pre>
 *  ingest threads ──tryPublish──▶ ring ──▶ preprocess-0..n-1 ──▶ infer-0 (batch → backend → decide → emit)
 *        │ ring full                                                     │
 *        └──────────── OVERLOAD verdict (in per-camera order) ◀──────────┘ verdicts to FrameSource
 * </pre>
 *
 * <p>Threading: {@link #publish} may be called from any number of ingest threads, each source from
 * one thread only. Worker threads come from the injected {@link ThreadFactory} and are named by
 * role. {@link #start()} and {@link #close()} are called once, by the owner.
 */
public final class InspectionPipeline implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InspectionPipeline.class.getName());

  /** A source that published within this long counts as active for the fair share. */
  static final long ACTIVE_WINDOW_NS = TimeUnit.SECONDS.toNanos(1);

  /** How often the deadline watchdog scans the frames in flight. */
  static final long WATCHDOG_TICK_NS = 200_000;

  /**
   * Longest nap of an idle hand-off thread's back-off (20 µs doubling up to this; {@link
   * ParkingTimeoutWaitStrategy}): system property {@code inspect.idleParkMaxUs}, 20..1000, default
   * 200 (20 = the fixed 20 µs nap of before). Measured in benchmarks/README.md#levers-issue-16.
   */
  static final long IDLE_PARK_MAX_NS =
      TimeUnit.MICROSECONDS.toNanos(
          Math.max(20, Math.min(1_000, Long.getLong("inspect.idleParkMaxUs", 200))));

  private static final EventTranslatorThreeArg<
          FrameEvent, FrameTranslator, FrameSource, InspectionPipeline>
      TRANSLATOR =
          (event, seq, frame, source, pipeline) -> {
            event.clear();
            try {
              frame.writeTo(event);
            } catch (RuntimeException | LinkageError e) {
              // The slot is claimed and will be published whatever happens: it must still become
              // this frame's entry (bound, pre-failed), or it would never get its verdict.
              pipeline.translatorFailed(event, frame, e);
            }
            event.bind(
                source, source.currentArrival(), event.receivedNs() + pipeline.budgetNs, seq);
          };

  private final PipelineConfig config;
  private final long budgetNs;
  private final InferenceBackend backend;
  private final ModelSwitch models;
  private final NanoClock clock;
  private final ThreadFactory threadFactory;
  private final PipelineMetrics metrics;
  private final IsolatedListeners listener;
  private final Decider decider;
  private final RingBuffer<FrameEvent> ring;
  private final List<BatchEventProcessor<FrameEvent>> preprocessors = new ArrayList<>();
  private final BatchingInferenceProcessor inference;
  private final BatchTimingModel timing;
  private final DeadlineWatchdog watchdog;
  private final long leadNs;
  private final List<Thread> threads = new ArrayList<>();
  private final StageHealth health = new StageHealth();
  private final List<Stage> stages = new ArrayList<>();
  private final ErrorLog translatorErrors = new ErrorLog(LOG, "frame translator");
  private volatile boolean started;

  /** Sources that published within {@link #ACTIVE_WINDOW_NS} (recounted by the ingest adapter). */
  private final java.util.List<Iterable<? extends FrameSource>> recountedSources =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private final java.util.concurrent.atomic.AtomicInteger activeSources =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * @param config ring and batching settings
   * @param budgetNs time from frame receipt to verdict, on {@code clock}
   * @param failSafeVerdict verdict for every frame that could not be judged
   * @param backend the model runtime; owned by the caller, not closed here
   * @param listener extra verdict observer (actuators, audit) or null; metrics are always kept
   */
  public InspectionPipeline(
      PipelineConfig config,
      long budgetNs,
      Verdict failSafeVerdict,
      InferenceBackend backend,
      VerdictListener listener,
      NanoClock clock,
      ThreadFactory threadFactory) {
    this.config = Objects.requireNonNull(config, "config");
    this.budgetNs = budgetNs;
    this.backend = Objects.requireNonNull(backend, "backend");
    this.models = new ModelSwitch(backend);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
    this.metrics = new PipelineMetrics();
    this.listener = IsolatedListeners.of(metrics, listener);
    long stallMs = config.stallMs();
    this.decider = new Decider(Objects.requireNonNull(failSafeVerdict, "failSafeVerdict"));
    int maxBatch = Math.min(config.maxBatch(), backend.maxBatch());
    long lead = TimeUnit.MICROSECONDS.toNanos(Math.round(config.watchdogLeadMs() * 1000));
    this.timing = new BatchTimingModel(maxBatch, budgetNs - lead, config.ringSize());

    this.leadNs = lead;
    int initialBytes = config.initialFrameBytes();
    ring =
        RingBuffer.createMultiProducer(
            () -> new FrameEvent(initialBytes),
            config.ringSize(),
            new ParkingTimeoutWaitStrategy(
                2_000, Math.round(config.idlePollUs() * 1_000), 20_000, IDLE_PARK_MAX_NS, 200_000));
    SequenceBarrier ingestBarrier = ring.newBarrier();
    int workers = config.preprocessWorkers();
    // preprocessWorkers 0: the inference thread preprocesses each frame as it takes it.
    Stage inferStage = new Stage("infer-0", stallMs);
    PreprocessHandler inline =
        workers == 0
            ? new PreprocessHandler(0, 1, backend, models, clock, inferStage, metrics)
            : null;
    Sequence[] preprocessed = new Sequence[workers];
    for (int i = 0; i < workers; i++) {
      Stage stage = stage("preprocess-" + i, stallMs);
      BatchEventProcessor<FrameEvent> p =
          new BatchEventProcessorBuilder()
              .build(
                  ring,
                  ingestBarrier,
                  new PreprocessHandler(i, workers, backend, models, clock, stage, metrics));
      p.setExceptionHandler(new StageExceptionHandler(stage));
      preprocessors.add(p);
      preprocessed[i] = p.getSequence();
    }
    VerdictEmitter emitter = new VerdictEmitter(decider, this.listener, metrics, clock, 256);
    inference =
        new BatchingInferenceProcessor(
            ring,
            ring.newBarrier(preprocessed),
            models,
            emitter,
            metrics,
            clock,
            timing,
            TimeUnit.MICROSECONDS.toNanos(Math.round(config.maxDelayMs() * 1000)),
            leadNs,
            config.ringSize(),
            inline,
            inferStage);
    stages.add(health.add(inferStage));
    ring.addGatingSequences(inference.getSequence());
    watchdog =
        new DeadlineWatchdog(
            ring,
            inference.getSequence(),
            decider,
            this.listener,
            metrics,
            clock,
            leadNs,
            WATCHDOG_TICK_NS,
            stage("deadline-watchdog", stallMs));
  }

  private Stage stage(String name, long stallMs) {
    Stage s = health.add(new Stage(name, stallMs));
    stages.add(s);
    return s;
  }

  /**
   * The translator threw while copying a frame into its claimed slot: the entry becomes a BAD_IMAGE
   * frame with whatever identity can still be read, so it gets its verdict in order.
   */
  private void translatorFailed(FrameEvent event, FrameTranslator frame, Throwable e) {
    translatorErrors.error(e);
    long sequence = 0;
    long captureUs = 0;
    long receivedNs = clock.nanoTime();
    try {
      sequence = frame.sequence();
      captureUs = frame.captureTimeUs();
      receivedNs = frame.receivedNs();
    } catch (RuntimeException | LinkageError ignored) {
      // the identity stays unknown; the verdict still goes out in order
    }
    event.clear();
    event.setFrame(sequence, captureUs, false, 0, 0, 0, null, receivedNs);
    event.rejectBadImage("the frame could not be copied into the pipeline: " + e);
  }

  /** Frames whose copy into the ring failed (each got a BAD_IMAGE verdict). */
  public long translatorErrors() {
    return translatorErrors.count();
  }

  /**
   * Starts the worker threads and returns once the backend has been warmed up for every batch size
   * (so the service only reports ready when the first real frames will not be slow).
   */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("pipeline already started");
    }
    for (int i = 0; i < preprocessors.size(); i++) {
      threads.add(newThread(preprocessors.get(i), "preprocess-" + i));
    }
    threads.add(newThread(inference, "infer-0"));
    threads.add(newThread(watchdog, "deadline-watchdog"));
    threads.forEach(Thread::start);
    started = true;
    try {
      if (!inference.awaitReady(TimeUnit.MINUTES.toMillis(5))) {
        LOG.log(System.Logger.Level.WARNING, "backend warm-up still running after 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.log(
        System.Logger.Level.INFO,
        "pipeline started: ring {0}, {1} preprocess worker(s), maxBatch {2}, maxDelay {3} ms, budget {4} ms",
        String.valueOf(config.ringSize()),
        String.valueOf(preprocessors.size()),
        String.valueOf(timing.maxBatch()),
        String.valueOf(config.maxDelayMs()),
        String.valueOf(budgetNs / 1_000_000));
  }

  private Thread newThread(Runnable r, String name) {
    Thread t = threadFactory.newThread(r);
    t.setName(name);
    for (Stage s : stages) {
      if (s.name().equals(name)) {
        s.watch(t);
      }
    }
    return t;
  }

  /**
   * Publishes one frame from {@code source}. Never blocks: when the ring is full the frame gets the
   * fail-safe verdict with reason OVERLOAD right here (or as soon as the camera's earlier frames
   * have their verdicts), and this returns false.
   *
   * <p>Called on the source's ingest thread.
   */
  public boolean publish(FrameSource source, FrameTranslator frame) {
    long now = clock.nanoTime();
    if (!source.countedActive) {
      source.countedActive = true;
      activeSources.incrementAndGet(); // a camera (re)starting gets its share at once
    }
    source.lastPublishNs = now == 0 ? 1 : now;
    // Admission by time, not by ring size: beyond what can still be judged within the budget a
    // frame is refused now (OVERLOAD) instead of queueing behind work it cannot outrun. Each
    // active camera may hold at most its fair share of that limit, so one camera's flood never
    // takes another camera's room. One slot stays free for a camera that starts (or resumes)
    // beside a flood, so even its first frame finds room.
    int limit = timing.admissionLimit();
    int shared = limit > 2 ? limit - 1 : limit;
    int share = Math.max(1, shared / Math.max(1, activeSources.get()));
    boolean fair = source.inFlight() < share;
    long arrival = source.claimArrival();
    if (fair && inFlight() < limit && ring.tryPublishEvent(TRANSLATOR, frame, source, this)) {
      metrics.onPublished();
      return true;
    }
    if (!fair) {
      metrics.onFairShareRefused();
    }
    refuse(source, frame, arrival, now);
    return false;
  }

  /**
   * Refuses one frame from {@code source} without judging it (a limit of the ingest adapter, e.g.
   * the per-camera frame-rate ceiling): it gets the fail-safe verdict with reason OVERLOAD
   * (BAD_IMAGE when its content was already found bad) in its camera's order.
   *
   * <p>Called on the source's ingest thread.
   */
  public void refuse(FrameSource source, FrameTranslator frame) {
    refuse(source, frame, source.claimArrival(), clock.nanoTime());
  }

  /**
   * Recounts the sources that published within the last second (called periodically by the ingest
   * adapter with all its sources), so the fair share grows back when a camera stops.
   */
  public void recountActiveSources(Iterable<? extends FrameSource> sources) {
    long now = clock.nanoTime();
    int n = countActive(sources, now);
    for (Iterable<? extends FrameSource> other : recountedSources) {
      n += countActive(other, now);
    }
    activeSources.set(n);
  }

  /**
   * Adds the sources of an adapter without its own recount (the image drop) to every {@link
   * #recountActiveSources} recount, so the fair share counts them exactly; {@code sources} must be
   * safe to iterate from the recounting thread.
   */
  public void addRecountedSources(Iterable<? extends FrameSource> sources) {
    recountedSources.add(sources);
  }

  /** Undoes {@link #addRecountedSources} (the adapter closing). */
  public void removeRecountedSources(Iterable<? extends FrameSource> sources) {
    recountedSources.remove(sources);
  }

  /** The sources counted active now (the divisor of the fair share). */
  int activeSources() {
    return activeSources.get();
  }

  private static int countActive(Iterable<? extends FrameSource> sources, long now) {
    int n = 0;
    for (FrameSource s : sources) {
      boolean active = s.activeAt(now, ACTIVE_WINDOW_NS);
      s.countedActive = active;
      if (active) {
        n++;
      }
    }
    return n;
  }

  private void refuse(FrameSource source, FrameTranslator frame, long arrival, long now) {
    String bad = frame.badImageDetail();
    VerdictRecord overload =
        source.ingestScratch.failSafe(
            source.cameraId(),
            frame.sequence(),
            frame.captureTimeUs(),
            frame.hasEncoderCount(),
            frame.encoderCount(),
            frame.receivedNs(),
            decider.failSafe(),
            bad != null ? ReasonCode.BAD_IMAGE : ReasonCode.OVERLOAD,
            bad,
            now);
    overload.peerNotified(bad != null).warmUp(source.warmUp());
    source.deliverAndFlush(arrival, overload, listener, now);
  }

  /** The budget from frame receipt to verdict. */
  public long budgetNs() {
    return budgetNs;
  }

  /**
   * Where the served model changes (hot swap between batches); its {@link ModelSwitch#model()} is
   * the model judging now.
   */
  public ModelSwitch models() {
    return models;
  }

  public PipelineMetrics metrics() {
    return metrics;
  }

  /**
   * The health of the pipeline's stage threads ({@code preprocess-i}, {@code infer-0}, {@code
   * deadline-watchdog}); the service adds its other stages and conditions here.
   */
  public StageHealth health() {
    return health;
  }

  /** Errors thrown by verdict listeners, by listener name (each listener is isolated). */
  public java.util.Map<String, Long> listenerErrors() {
    return listener.errors();
  }

  /** Batch timing as measured so far (for display; owned by the inference thread). */
  public BatchTimingModel timing() {
    return timing;
  }

  /** Frames published but not yet emitted. */
  public long inFlight() {
    return ring.getCursor() - inference.getSequence().get();
  }

  /**
   * Stops the workers after the ring has drained (at most {@code drainTimeoutMs}), so every
   * published frame still gets its verdict.
   */
  public void close(long drainTimeoutMs) {
    if (!started) {
      return;
    }
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainTimeoutMs);
    while (inFlight() > 0 && System.nanoTime() - until < 0) {
      Thread.onSpinWait();
      Thread.yield();
    }
    stages.forEach(Stage::stopped);
    preprocessors.forEach(BatchEventProcessor::halt);
    inference.halt();
    watchdog.stop();
    for (Thread t : threads) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    // Whatever is still in the ring (the drain timed out, a stage hung) gets its fail-safe
    // verdict now: every received frame's verdict reaches its camera, the actuators and the audit.
    int left = watchdog.failAllPending("the service stopped before the frame was judged");
    if (left > 0) {
      LOG.log(
          System.Logger.Level.WARNING,
          "pipeline closed with {0} frames unjudged: each got the fail-safe verdict (DEADLINE)",
          left);
    }
    started = false;
  }

  @Override
  public void close() {
    close(2_000);
  }
}
