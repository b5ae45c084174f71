package io.lineinspect.app.loadgen;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

/**
 * A backend whose sessions sleep {@code delayMs} in every batch before the real inference, and
 * whose preprocessors burn {@code frameCpuMs} of the calling thread's CPU time per frame before the
 * real preprocessing: the deliberate slowdowns that demonstrate the latency and efficiency gates
 * failing. Never used unless asked for; the frame is then preprocessed and judged as usual.
 */
final class DelayedBackend implements InferenceBackend {
  private final InferenceBackend delegate;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private final long delayNs;
  private final long frameCpuNs;

  DelayedBackend(InferenceBackend delegate, double delayMs, double frameCpuMs) {
    this.delegate = delegate;
    this.delayNs = (long) (delayMs * 1e6);
    this.frameCpuNs = (long) (frameCpuMs * 1e6);
  }

  /**
   * Spins until this thread has used {@code ns} more CPU time (wall time while descheduled does not
   * count, so the cost is the same on a busy machine); bounded by 100x that in wall time.
   */
  static void burnCpu(long ns) {
    if (ns <= 0) {
      return;
    }
    boolean cpuTime = THREADS.isCurrentThreadCpuTimeSupported();
    long cpu0 = cpuTime ? THREADS.getCurrentThreadCpuTime() : 0;
    long wall0 = System.nanoTime();
    long x = 0;
    while (true) {
      for (int i = 0; i < 1_000; i++) {
        x += i ^ (x >>> 3);
      }
      long used = cpuTime ? THREADS.getCurrentThreadCpuTime() - cpu0 : System.nanoTime() - wall0;
      if (used >= ns || System.nanoTime() - wall0 > 100 * ns) {
        break;
      }
    }
    if (x == 42) {
      Thread.onSpinWait(); // keeps the loop from being optimised away
    }
  }

  @Override
  public ModelInfo model() {
    return delegate.model();
  }

  @Override
  public int maxBatch() {
    return delegate.maxBatch();
  }

  @Override
  public int inputFloats() {
    return delegate.inputFloats();
  }

  @Override
  public io.lineinspect.core.inference.InputLayout inputLayout() {
    return delegate.inputLayout(); // the fitness check must stay on behind the slowdown
  }

  @Override
  public io.lineinspect.core.quality.QualityLimits qualityLimits() {
    return delegate.qualityLimits();
  }

  @Override
  public void limitCallingThread(int threads) {
    delegate.limitCallingThread(threads);
  }

  @Override
  public String preprocessing() {
    return delegate.preprocessing();
  }

  @Override
  public java.nio.file.Path goldenFile() {
    return delegate.goldenFile();
  }

  @Override
  public Preprocessor newPreprocessor() {
    Preprocessor p = delegate.newPreprocessor();
    if (frameCpuNs <= 0) {
      return p;
    }
    return new Preprocessor() {
      @Override
      public boolean preprocess(FrameEvent frame) {
        burnCpu(frameCpuNs);
        return p.preprocess(frame);
      }

      @Override
      public void close() {
        p.close();
      }
    };
  }

  @Override
  public InferenceSession newSession() {
    InferenceSession s = delegate.newSession();
    return new InferenceSession() {
      @Override
      public void infer(FrameEvent[] batch, int count) throws Exception {
        if (delayNs > 0) {
          TimeUnit.NANOSECONDS.sleep(delayNs);
        }
        s.infer(batch, count);
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }

  @Override
  public void close() {
    delegate.close();
  }
}
