package io.lineinspect.app.loadgen;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.concurrent.TimeUnit;

/**
 * A backend whose sessions sleep {@code delayMs} in every batch before the real inference: the
 * deliberate slowdown that demonstrates the latency gate failing. Never used unless asked for.
 */
final class DelayedBackend implements InferenceBackend {
  private final InferenceBackend delegate;
  private final long delayNs;

  DelayedBackend(InferenceBackend delegate, double delayMs) {
    this.delegate = delegate;
    this.delayNs = (long) (delayMs * 1e6);
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
    return delegate.newPreprocessor();
  }

  @Override
  public InferenceSession newSession() {
    InferenceSession s = delegate.newSession();
    return new InferenceSession() {
      @Override
      public void infer(FrameEvent[] batch, int count) throws Exception {
        TimeUnit.NANOSECONDS.sleep(delayNs);
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
