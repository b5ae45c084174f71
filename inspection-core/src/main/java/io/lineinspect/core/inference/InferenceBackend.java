package io.lineinspect.core.inference;

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
   * Called on a thread about to run this backend beside the line (a candidate's warm-up and
   * golden-set check, a shadow model): limit the native parallelism of the calling thread to {@code
   * threads}, so the served model keeps the other cores. Default: nothing to limit.
   */
  default void limitCallingThread(int threads) {}

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
