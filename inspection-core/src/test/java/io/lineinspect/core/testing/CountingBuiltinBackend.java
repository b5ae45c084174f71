package io.lineinspect.core.testing;

import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The builtin backend, counting the frames its preprocessor (the decoder) is handed: tests of the
 * encoded-payload checks prove with it that a refused payload never reached a decoder.
 */
public final class CountingBuiltinBackend implements InferenceBackend {
  private final BuiltinBackend inner = new BuiltinBackend(BuiltinBackendConfig.defaults());
  private final AtomicLong decodes = new AtomicLong();

  /** Frames handed to a preprocessor so far. */
  public long decodes() {
    return decodes.get();
  }

  @Override
  public ModelInfo model() {
    return inner.model();
  }

  @Override
  public int maxBatch() {
    return inner.maxBatch();
  }

  @Override
  public int inputFloats() {
    return inner.inputFloats();
  }

  @Override
  public Preprocessor newPreprocessor() {
    Preprocessor p = inner.newPreprocessor();
    return frame -> {
      decodes.incrementAndGet();
      return p.preprocess(frame);
    };
  }

  @Override
  public InferenceSession newSession() {
    return inner.newSession();
  }

  @Override
  public void close() {
    inner.close();
  }
}
