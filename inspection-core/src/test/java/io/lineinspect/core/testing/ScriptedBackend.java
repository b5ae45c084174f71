package io.lineinspect.core.testing;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A backend whose behaviour tests control: the score is the first payload byte / 255 (or what
 * {@link #rawScore} scripted for that byte: NaN, an infinity, a value out of [0, 1]), each batch
 * can take a fixed time, throw, or block on a gate until released. Records batch sizes.
 */
public final class ScriptedBackend implements InferenceBackend {
  public static final ModelInfo MODEL = new ModelInfo("scripted", "7", "0".repeat(64), 0.5f);

  private final int maxBatch;
  private final AtomicReference<ModelInfo> model = new AtomicReference<>(MODEL);
  private final AtomicLong batchNanos = new AtomicLong();
  private final AtomicLong sleepBaseNanos = new AtomicLong();
  private final AtomicLong sleepPerFrameNanos = new AtomicLong();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean gated = new AtomicBoolean();
  private final Semaphore gate = new Semaphore(0);
  private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private final AtomicLong batchesStarted = new AtomicLong();
  private volatile boolean warmable;
  private final java.util.Map<Integer, Float> rawScores =
      new java.util.concurrent.ConcurrentHashMap<>();

  public ScriptedBackend(int maxBatch) {
    this.maxBatch = maxBatch;
  }

  /** Every batch takes at least this long (busy work, like a CPU model). */
  public ScriptedBackend batchNanos(long nanos) {
    batchNanos.set(nanos);
    return this;
  }

  /**
   * Every batch sleeps {@code baseNanos + perFrameNanos × size} without using the CPU, like a GPU:
   * the sustainable throughput is {@code maxBatch / (base + perFrame × maxBatch)}.
   */
  public ScriptedBackend sleeping(long baseNanos, long perFrameNanos) {
    sleepBaseNanos.set(baseNanos);
    sleepPerFrameNanos.set(perFrameNanos);
    return this;
  }

  /** Lets the pipeline warm up every batch size before serving, like a production backend. */
  public ScriptedBackend warmable(boolean on) {
    warmable = on;
    return this;
  }

  @Override
  public int inputFloats() {
    return warmable ? 1 : -1;
  }

  /**
   * Frames whose first payload byte is {@code payloadByte} get {@code score} as their result, as it
   * is: like a model that emits NaN, an infinity or a logit for some inputs.
   */
  public ScriptedBackend rawScore(int payloadByte, float score) {
    rawScores.put(payloadByte, score);
    return this;
  }

  public ScriptedBackend failing(boolean fail) {
    failing.set(fail);
    return this;
  }

  public ScriptedBackend model(ModelInfo m) {
    model.set(m);
    return this;
  }

  /** From now on every batch waits for {@link #release(int)}. */
  public ScriptedBackend gated(boolean on) {
    gated.set(on);
    if (!on) {
      gate.release(1_000_000);
    }
    return this;
  }

  public void release(int batches) {
    gate.release(batches);
  }

  public List<Integer> batchSizes() {
    return batchSizes;
  }

  public long batchesStarted() {
    return batchesStarted.get();
  }

  @Override
  public ModelInfo model() {
    return model.get();
  }

  @Override
  public int maxBatch() {
    return maxBatch;
  }

  @Override
  public Preprocessor newPreprocessor() {
    return frame -> {
      frame.input(1)[0] = frame.payloadLength() == 0 ? 0f : (frame.payload()[0] & 0xFF) / 255f;
      return true;
    };
  }

  @Override
  public InferenceSession newSession() {
    return (FrameEvent[] batch, int count) -> {
      batchesStarted.incrementAndGet();
      if (gated.get() && !gate.tryAcquire(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("test gate never released");
      }
      long sleep = sleepBaseNanos.get() + sleepPerFrameNanos.get() * count;
      long sleepUntil = System.nanoTime() + sleep;
      while (sleep > 0 && System.nanoTime() - sleepUntil < 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(sleepUntil - System.nanoTime());
      }
      long until = System.nanoTime() + batchNanos.get();
      while (System.nanoTime() - until < 0) {
        Thread.onSpinWait();
      }
      batchSizes.add(count);
      if (failing.get()) {
        throw new IllegalStateException("scripted failure");
      }
      for (int i = 0; i < count; i++) {
        float s = batch[i].input()[0];
        Float raw = rawScores.isEmpty() ? null : rawScores.get(Math.round(s * 255));
        if (raw != null) {
          s = raw;
        }
        batch[i].setResult(s, s >= 0.5f ? "defect" : "good");
      }
    };
  }

  @Override
  public void close() {}
}
