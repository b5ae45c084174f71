package io.lineinspect.app.loadgen;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.sim.FramePool;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What the model alone can do on this machine, the yardsticks of the load generator:
 *
 * <ul>
 *   <li><b>bare model</b>: already preprocessed frames through the backend's {@link
 *       InferenceSession} in a tight loop, at every power-of-two batch size up to the backend's
 *       largest; the best frames/s is the ceiling any service built on this model could reach;
 *   <li><b>naive baseline</b>: one frame at a time, preprocess then a synchronous batch-of-1
 *       inference, no ring, no batching, no network: frames/s and per-frame latency.
 * </ul>
 *
 * <p>Runs on the caller's thread, which owns the preprocessor and session it creates; run it while
 * nothing else loads the machine (before the service run).
 */
final class ModelBaselines {
  private final InferenceBackend backend;
  private final FramePool pool;

  ModelBaselines(InferenceBackend backend, FramePool pool) {
    this.backend = backend;
    this.pool = pool;
  }

  /** Bare-model frames/s per batch size. */
  record Bare(Map<Integer, Double> fpsByBatch, int bestBatch, double bestFps) {}

  /** The naive one-frame-at-a-time baseline. */
  record Naive(long frames, double fps, double p50Ms, double p99Ms, double maxMs) {}

  Bare bare(double seconds, PrintStream out) throws Exception {
    int maxBatch = Math.max(1, backend.maxBatch());
    int sizes = 0;
    for (int b = 1; b <= maxBatch; b *= 2) {
      sizes++;
    }
    long perSizeNs = (long) (seconds * 1e9 / sizes);
    Map<Integer, Double> fps = new LinkedHashMap<>();
    int best = 1;
    double bestFps = 0;
    try (Preprocessor pre = backend.newPreprocessor();
        InferenceSession session = backend.newSession()) {
      FrameEvent[] batch = new FrameEvent[maxBatch];
      for (int i = 0; i < maxBatch; i++) {
        batch[i] = frame(i);
        pre.preprocess(batch[i]);
      }
      for (int b = 1; b <= maxBatch; b *= 2) {
        // A short warm-up per size (JIT, allocator), then as many batches as fit the time slice.
        long warmUntil = System.nanoTime() + perSizeNs / 5;
        do {
          session.infer(batch, b);
        } while (System.nanoTime() - warmUntil < 0);
        long start = System.nanoTime();
        long until = start + perSizeNs;
        long frames = 0;
        long now;
        do {
          session.infer(batch, b);
          frames += b;
        } while ((now = System.nanoTime()) - until < 0);
        double f = frames * 1e9 / (now - start);
        fps.put(b, f);
        out.printf(Locale.ROOT, "bare model: batch %3d  %9.1f frames/s%n", b, f);
        if (f > bestFps) {
          bestFps = f;
          best = b;
        }
      }
    }
    return new Bare(fps, best, bestFps);
  }

  Naive naive(double seconds) throws Exception {
    Histogram latencyUs = new Histogram(1, 60_000_000L, 3);
    try (Preprocessor pre = backend.newPreprocessor();
        InferenceSession session = backend.newSession()) {
      FrameEvent[] one = {FrameEvent.forWarmUp(Math.max(0, backend.inputFloats()))};
      long warmUntil = System.nanoTime() + (long) (seconds * 0.2e9);
      long i = 0;
      while (System.nanoTime() - warmUntil < 0) {
        judgeOne(one, pre, session, i++);
      }
      long start = System.nanoTime();
      long until = start + (long) (seconds * 1e9);
      long frames = 0;
      long now = start;
      while (now - until < 0) {
        judgeOne(one, pre, session, i++);
        long done = System.nanoTime();
        latencyUs.recordValue(Math.max(1, Math.min(60_000_000L, (done - now) / 1_000)));
        frames++;
        now = done;
      }
      return new Naive(
          frames,
          frames * 1e9 / (now - start),
          latencyUs.getValueAtPercentile(50) / 1000.0,
          latencyUs.getValueAtPercentile(99) / 1000.0,
          latencyUs.getMaxValue() / 1000.0);
    }
  }

  private void judgeOne(FrameEvent[] one, Preprocessor pre, InferenceSession session, long i)
      throws Exception {
    FrameEvent e = one[0];
    e.clear();
    fill(e, i);
    if (pre.preprocess(e)) {
      session.infer(one, 1);
    }
  }

  private FrameEvent frame(long i) {
    FrameEvent e = FrameEvent.forWarmUp(Math.max(0, backend.inputFloats()));
    fill(e, i);
    return e;
  }

  private void fill(FrameEvent e, long i) {
    byte[] payload = pool.payload(i);
    e.setFrame(i, 0, false, 0, pool.width(), pool.height(), pool.format(), System.nanoTime());
    System.arraycopy(payload, 0, e.payloadBuffer(payload.length), 0, payload.length);
  }
}
