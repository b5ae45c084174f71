package io.lineinspect.core.inference;

import io.lineinspect.core.quality.QualityLimits;
import java.nio.file.Path;

/**
 * The seam between the pipeline and a model runtime (DJL/PyTorch, or the built-in heuristic used by
 * tests). A backend hands out one {@link Preprocessor} per preprocess worker and one {@link
 * InferenceSession} per inference thread, so implementations keep per-thread state (OpenCV
 * matrices, DJL predictors) without locks.
 *
 * <p>Threading: {@link #newPreprocessor()} and {@link #newSession()} are called once by the thread
 * that will use the result; {@link #model()} may be called from any thread.
 */
public interface InferenceBackend extends AutoCloseable {

  /**
   * The model currently served, or {@code null} when none is loaded (frames fail safe NO_MODEL).
   */
  ModelInfo model();

  /** The largest batch {@link InferenceSession#infer} accepts. */
  int maxBatch();

  /**
   * Model-input floats per frame, as a {@link Preprocessor} writes them; the pipeline uses it to
   * warm up every batch size before serving. Return -1 when the backend cannot be warmed up with
   * zero-filled input.
   */
  default int inputFloats() {
    return -1;
  }

  /**
   * What the model input a {@link Preprocessor} writes means (channels, size, normalisation), so
   * the per-frame fitness check ({@code io.lineinspect.core.quality}) can read it back as pixels.
   * Both production backends declare it; a backend that returns null (test doubles, the no-work
   * benchmark backend) is not checked for fitness.
   */
  default InputLayout inputLayout() {
    return null;
  }

  /**
   * The limits a frame must keep to be judged by this model (outside them: fail-safe UNFIT_IMAGE).
   * Default: {@link QualityLimits#defaults()}, never "no check".
   */
  default QualityLimits qualityLimits() {
    return QualityLimits.defaults();
  }

  /**
   * What this backend's {@link Preprocessor} makes of a frame (size, channels, normalisation,
   * resize, region of interest), as text that compares: two backends with equal descriptions write
   * the same model input for the same frame. Only then can one replace the other between two
   * batches, because the frames already in the line were prepared for the one serving. Default: the
   * input size alone ({@link #inputFloats()}).
   */
  default String preprocessing() {
    return "input floats " + inputFloats();
  }

  /**
   * The golden set this model ships with: a {@code labels.csv} of pinned images and their labels
   * ({@code io.lineinspect.core.model.GoldenSet}) that the model must judge correctly before it
   * serves, at start-up and on activation. Default: null, none.
   */
  default Path goldenFile() {
    return null;
  }

  /**
   * Called on a thread about to run this backend beside the line (a candidate's warm-up and
   * golden-set check, a shadow model): limit the native parallelism of the calling thread to {@code
   * threads}, so the served model keeps the other cores. Default: nothing to limit.
   */
  default void limitCallingThread(int threads) {}

  /**
   * Frames this backend failed safe INFERENCE_ERROR because the model's output broke its manifest's
   * rule (NaN, out of range, class values not summing to 1), since it was loaded; any thread.
   * Default: -1, this backend does not check its outputs itself (the decider's score rule still
   * applies to every score).
   */
  default long outputErrors() {
    return -1;
  }

  /** A preprocessor owned by the calling preprocess worker. */
  Preprocessor newPreprocessor();

  /** A session owned by the calling inference thread. */
  InferenceSession newSession();

  /**
   * Releases models and native memory. A backend with native resources extends {@link
   * GuardedBackend}, whose close may be called while sessions are still in use: the resources are
   * released when the last session is closed, never under a running {@link InferenceSession#infer}.
   */
  @Override
  void close();
}
