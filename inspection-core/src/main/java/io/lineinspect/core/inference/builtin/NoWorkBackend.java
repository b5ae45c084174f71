package io.lineinspect.core.inference.builtin;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;

/**
 * A test backend that scores every frame 0 ("good") without looking at it, so a run measures the
 * transport and the pipeline alone: {@code inspect loadgen --backend no-work} and the pipeline
 * benchmarks. Never judges a real part.
 */
public final class NoWorkBackend implements InferenceBackend {
  private static final ModelInfo MODEL = new ModelInfo("no-work", "1", "none", 0.5f);
  private final int maxBatch;

  public NoWorkBackend(int maxBatch) {
    this.maxBatch = maxBatch;
  }

  @Override
  public ModelInfo model() {
    return MODEL;
  }

  @Override
  public int maxBatch() {
    return maxBatch;
  }

  @Override
  public int inputFloats() {
    return 0;
  }

  @Override
  public Preprocessor newPreprocessor() {
    return frame -> true;
  }

  @Override
  public InferenceSession newSession() {
    return (batch, count) -> {
      for (int i = 0; i < count; i++) {
        batch[i].setResult(0f, "good");
      }
    };
  }

  @Override
  public void close() {}
}
