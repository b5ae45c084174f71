package io.lineinspect.core.inference;

import io.lineinspect.core.pipeline.FrameEvent;

/** Runs batches for one inference thread (one DJL predictor per thread). Owned by that thread. */
public interface InferenceSession extends AutoCloseable {

  /**
   * Judges {@code batch[0..count)}, all preprocessed by this backend's {@link Preprocessor}, by
   * calling {@link FrameEvent#setResult(float, String)} on each. An exception fails the whole batch
   * safe with reason INFERENCE_ERROR; the pipeline keeps running.
   */
  void infer(FrameEvent[] batch, int count) throws Exception;

  @Override
  default void close() {}
}
