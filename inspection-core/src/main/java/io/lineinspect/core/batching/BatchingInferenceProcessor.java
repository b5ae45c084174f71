package io.lineinspect.core.batching;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.DataProvider;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.EventProcessor;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.Sequencer;
import com.lmax.disruptor.TimeoutException;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.WarmUp;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.VerdictEmitter;
import io.lineinspect.core.time.NanoClock;
import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The batcher and inference stage: forms dynamic batches from preprocessed ring entries, runs them
 * through the backend, and emits every entry's verdict in ring order.
 *
 * <p>Why a custom {@link EventProcessor} rather than an {@code EventHandler}: a batch may be held
 * open for up to {@code maxDelay} to gather more frames, and the entries in it must not be reused
 * by producers meanwhile. This processor advances its own sequence (which gates the producers) only
 * after every entry of the batch has been emitted, so held entries stay valid.
 *
 * <p>Batching rule (STYLE 8: batch on what is there): take what is available up to {@code maxBatch}
 * inferable frames; if the batch is not full, wait for more only while (a) the oldest frame is
 * younger than {@code maxDelay} and (b) its remaining slack still covers the predicted inference
 * time of a batch one frame larger. Frames already failed (bad image, past saving, no model) are
 * emitted at once when nothing earlier is pending, and never sent to the backend.
 *
 * <p>Owned by its thread ({@code infer-0}); the {@link InferenceSession} is created on it.
 */
public final class BatchingInferenceProcessor implements EventProcessor {
  private static final System.Logger LOG =
      System.getLogger(BatchingInferenceProcessor.class.getName());
  private static final int IDLE = 0;
  private static final int HALTED = 1;
  private static final int RUNNING = 2;

  private final Sequence sequence = new Sequence(Sequencer.INITIAL_CURSOR_VALUE);
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final DataProvider<FrameEvent> ring;
  private final SequenceBarrier barrier;
  private final ModelSwitch models;
  private final VerdictEmitter emitter;
  private final PipelineMetrics metrics;
  private final NanoClock clock;
  private final BatchTimingModel timing;
  private final int maxBatch;
  private final long maxDelayNs;
  private final long leadNs;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final FrameEvent[] window;
  private final FrameEvent[] batch;
  private final EventHandler<FrameEvent> inlineStage;
  private final Stage stage;
  private InferenceSession session;

  /** The next sequence not yet taken into a window (valid while a batch is processed). */
  private long taken;

  private int windowSize;
  private int emitted;
  private int batchSize;
  private long inferenceErrors;
  private long batches;

  /**
   * @param windowCapacity the ring size: the most entries one batch window can span
   * @param inlineStage a stage run on this thread for every entry as it is taken, before it is
   *     judged (preprocessing without its own thread: one hand-off less), or null
   */
  public BatchingInferenceProcessor(
      DataProvider<FrameEvent> ring,
      SequenceBarrier barrier,
      ModelSwitch models,
      VerdictEmitter emitter,
      PipelineMetrics metrics,
      NanoClock clock,
      BatchTimingModel timing,
      long maxDelayNs,
      long leadNs,
      int windowCapacity,
      EventHandler<FrameEvent> inlineStage,
      Stage stage) {
    this.inlineStage = inlineStage;
    this.stage = stage;
    this.ring = ring;
    this.barrier = barrier;
    this.models = models;
    this.emitter = emitter;
    this.metrics = metrics;
    this.clock = clock;
    this.timing = timing;
    this.maxBatch = timing.maxBatch();
    this.maxDelayNs = maxDelayNs;
    this.leadNs = leadNs;
    this.window = new FrameEvent[windowCapacity];
    this.batch = new FrameEvent[maxBatch];
  }

  @Override
  public Sequence getSequence() {
    return sequence;
  }

  @Override
  public void halt() {
    state.set(HALTED);
    barrier.alert();
  }

  @Override
  public boolean isRunning() {
    return state.get() != IDLE;
  }

  @Override
  public void run() {
    if (!state.compareAndSet(IDLE, RUNNING)) {
      throw new IllegalStateException("already running or halted");
    }
    barrier.clearAlert();
    stage.started();
    try {
      session = models.served().newSession();
    } catch (RuntimeException | LinkageError e) {
      // Without a session nothing is judged: frames fail safe (watchdog DEADLINE, then OVERLOAD),
      // and the service is unhealthy, naming this stage.
      LOG.log(Level.ERROR, "inference session could not be created; every frame will fail safe", e);
      stage.fail("the inference session could not be created: " + e);
      state.set(IDLE);
      ready.countDown();
      throw e;
    }
    try {
      if (inlineStage != null) {
        inlineStage.onStart();
      }
      warmUp();
      ready.countDown();
      long next = sequence.get() + 1;
      while (state.get() == RUNNING) {
        stage.beat();
        try {
          ModelSwitch.Offer offer = models.take();
          if (offer != null) {
            switchModel(offer);
          }
          long available;
          try {
            available = barrier.waitFor(next);
          } catch (TimeoutException | AlertException | InterruptedException e) {
            continue; // the loop condition decides whether to stop
          }
          if (available >= next) {
            taken = next;
            next = processBatch(next, available);
            sequence.set(next - 1);
          }
        } catch (Throwable e) {
          // Aeron AgentRunner style: count, recover, continue. The window being judged is failed
          // safe entry by entry, so no frame is left without its verdict and the ring moves on.
          stage.error(e);
          next = abandonWindow(e);
          sequence.set(next - 1);
        }
      }
    } finally {
      if (inlineStage != null) {
        inlineStage.onShutdown();
      }
      session.close();
      state.set(IDLE);
    }
  }

  /**
   * Waits until warm-up is done and the processor takes frames.
   *
   * @return false on timeout
   */
  public boolean awaitReady(long timeoutMs) throws InterruptedException {
    return ready.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Runs every batch size the batcher can form through the backend before the first real frame and
   * seeds the timing model with the measured times ({@link WarmUp}). Skipped for backends that do
   * not declare their input size. A backend that fails here is logged; frames will then fail safe
   * INFERENCE_ERROR.
   */
  private void warmUp() {
    int floats = models.served().inputFloats();
    if (floats <= 0) {
      return;
    }
    try {
      seed(WarmUp.measure(session, maxBatch, floats, clock, Pacer.FULL_SPEED));
      LOG.log(
          Level.INFO,
          "warm-up: batch inference time (ms) by size: " + WarmUp.describe(predictions()));
    } catch (Exception | LinkageError e) {
      LOG.log(Level.WARNING, "warm-up failed: " + e, e);
    }
  }

  private void seed(long[] batchNs) {
    if (batchNs == null) {
      return;
    }
    for (int n = 1; n < batchNs.length && n <= maxBatch; n++) {
      timing.seed(n, batchNs[n]);
    }
  }

  private long[] predictions() {
    long[] ns = new long[maxBatch + 1];
    for (int n = 1; n <= maxBatch; n++) {
      ns[n] = timing.predictNs(n);
    }
    return ns;
  }

  /**
   * Between two batches: the offered (already warmed) session judges from the next batch on, the
   * timing model starts from the candidate's measured times, the old session goes back to the
   * lifecycle.
   */
  private void switchModel(ModelSwitch.Offer offer) {
    InferenceSession previous = session;
    session = offer.session();
    seed(offer.batchNs());
    models.switched(previous, clock.nanoTime(), batches);
  }

  /** Forms, runs and emits one batch starting at {@code next}; returns the next unread sequence. */
  private long processBatch(long next, long available) {
    windowSize = 0;
    emitted = 0;
    batchSize = 0;
    ModelInfo model = models.model();
    long hi = available;
    while (true) {
      long now = clock.nanoTime();
      while (next <= hi && batchSize < maxBatch && windowSize < window.length) {
        FrameEvent event = ring.get(next);
        if (inlineStage != null) {
          runInline(event, next);
          now = clock.nanoTime();
        }
        next++;
        taken = next;
        admit(event, model, now);
      }
      emitFailedPrefix();
      if (batchSize == 0 && emitted == windowSize) {
        break;
      }
      if (batchSize == maxBatch || windowSize == window.length || !worthWaiting(now)) {
        break;
      }
      try {
        hi = barrier.waitFor(next);
      } catch (TimeoutException e) {
        hi = next - 1;
      } catch (AlertException | InterruptedException e) {
        break;
      }
    }
    if (batchSize > 0) {
      infer(model);
    }
    while (emitted < windowSize) {
      emitter.emit(window[emitted]);
      window[emitted++] = null;
    }
    emitter.endBatch();
    return next;
  }

  /**
   * After an unexpected exception while a window was being formed, judged or emitted: every entry
   * of it still without a verdict gets the fail-safe verdict INFERENCE_ERROR (an entry the emitter
   * already claimed is skipped by the claim), the touched connections are flushed.
   *
   * @return the next sequence to read: just past the window
   */
  private long abandonWindow(Throwable cause) {
    String detail = "inference stage failed: " + cause.getClass().getSimpleName();
    for (int i = 0; i < batchSize; i++) {
      batch[i] = null;
    }
    batchSize = 0;
    while (emitted < windowSize) {
      FrameEvent e = window[emitted];
      window[emitted++] = null;
      try {
        e.failSafe(ReasonCode.INFERENCE_ERROR, detail);
        emitter.emit(e);
      } catch (RuntimeException | LinkageError | AssertionError again) {
        stage.error("could not fail an entry safe: " + again, again);
      }
    }
    windowSize = 0;
    emitted = 0;
    try {
      emitter.endBatch();
    } catch (RuntimeException | LinkageError | AssertionError again) {
      stage.error("could not flush after a failed batch: " + again, again);
    }
    return taken;
  }

  private void runInline(FrameEvent event, long seq) {
    try {
      inlineStage.onEvent(event, seq, false);
    } catch (Exception e) {
      // The inline stage handles its own failures (bad image); anything else fails this frame.
      event.rejectBadImage("inline stage failed: " + e.getClass().getSimpleName());
    }
  }

  private void admit(FrameEvent event, ModelInfo model, long now) {
    window[windowSize++] = event;
    if (event.settled()) {
      return;
    }
    if (model == null) {
      event.failSafe(ReasonCode.NO_MODEL, "no model loaded");
    } else if (event.deadlineNs() - leadNs - now - timing.predictNs(1) < 0) {
      event.failSafe(ReasonCode.DEADLINE, null);
    } else {
      batch[batchSize++] = event;
    }
  }

  /** Emits failed entries at the head of the window: nothing earlier is waiting for inference. */
  private void emitFailedPrefix() {
    while (emitted < windowSize && window[emitted].settled()) {
      emitter.emit(window[emitted]);
      window[emitted++] = null;
    }
  }

  private boolean worthWaiting(long now) {
    if (batchSize == 0) {
      return false;
    }
    FrameEvent oldest = batch[0];
    if (now - oldest.receivedNs() >= maxDelayNs) {
      return false;
    }
    return oldest.deadlineNs() - leadNs - now - timing.predictNs(batchSize + 1) > 0;
  }

  private void infer(ModelInfo model) {
    long start = clock.nanoTime();
    for (int i = 0; i < batchSize; i++) {
      batch[i].setInferNs(start, 0); // a frame the watchdog decides meanwhile shows it was here
    }
    boolean failed = false;
    try {
      session.infer(batch, batchSize);
    } catch (Exception | LinkageError e) {
      failed = true;
      inferenceErrors++;
      if (ErrorLog.shouldLog(inferenceErrors)) {
        LOG.log(
            Level.WARNING, "inference failed (" + inferenceErrors + " batches so far): " + e, e);
      }
      String detail = "inference failed: " + e.getClass().getSimpleName();
      for (int i = 0; i < batchSize; i++) {
        batch[i].failSafe(ReasonCode.INFERENCE_ERROR, detail);
      }
    }
    long end = clock.nanoTime();
    if (!failed) {
      timing.record(
          batchSize, end - start); // a failing backend's times say nothing about its speed
    }
    metrics.onBatch(batchSize);
    batches++;
    for (int i = 0; i < batchSize; i++) {
      FrameEvent e = batch[i];
      e.setInferNs(start, end);
      e.setModel(model);
      batch[i] = null;
    }
  }
}
