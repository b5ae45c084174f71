package io.lineinspect.core.inference.builtin;

import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;

/**
 * A model-free backend defined in code: preprocessing turns any supported frame into a small grey
 * image, and a local-contrast heuristic scores it. It exists so the pipeline, the tests and the
 * demo run without a model runtime; it is not a substitute for a trained model (see the DJL backend
 * in {@code gpu-inference}).
 *
 * <p>Thread-safe: preprocessors and sessions are independent per thread.
 */
public final class BuiltinBackend implements InferenceBackend {
  /** Side of the square grey image the heuristic works on. */
  public static final int SIDE = 128;

  private final ModelInfo model;
  private final int maxBatch;

  private static final System.Logger LOG = System.getLogger(BuiltinBackend.class.getName());

  public BuiltinBackend(BuiltinBackendConfig config) {
    LOG.log(
        System.Logger.Level.WARNING,
        "inference.backend is builtin: parts are judged by a contrast HEURISTIC for tests, NOT by a"
            + " trained model; do not run a production line on it (inference.backend: djl)");
    this.model = new ModelInfo("builtin-contrast", "1", "builtin", config.threshold().floatValue());
    this.maxBatch = config.maxBatch();
  }

  @Override
  public ModelInfo model() {
    return model;
  }

  @Override
  public int maxBatch() {
    return maxBatch;
  }

  @Override
  public int inputFloats() {
    return SIDE * SIDE;
  }

  @Override
  public Preprocessor newPreprocessor() {
    return new GreyDownsampler(SIDE);
  }

  @Override
  public InferenceSession newSession() {
    return new Session();
  }

  @Override
  public void close() {}

  private static final class Session implements InferenceSession {
    private final ContrastScorer scorer = new ContrastScorer(SIDE);

    @Override
    public void infer(FrameEvent[] batch, int count) {
      for (int i = 0; i < count; i++) {
        float score = scorer.score(batch[i].input());
        batch[i].setResult(score, score >= 0.5f ? "defect" : "good");
      }
    }
  }
}
