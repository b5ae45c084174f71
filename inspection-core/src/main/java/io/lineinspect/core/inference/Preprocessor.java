package io.lineinspect.core.inference;

import io.lineinspect.core.pipeline.FrameEvent;

/**
 * Turns a frame's payload into model input, writing into buffers the frame event owns (see {@link
 * FrameEvent#input(int)}) so steady-state preprocessing allocates nothing.
 *
 * <p>Owned by one preprocess worker thread.
 */
public interface Preprocessor extends AutoCloseable {

  /**
   * Prepares {@code frame} for inference.
   *
   * @return {@code true} when the frame is ready; {@code false} when the image is unusable, in
   *     which case the implementation has called {@link FrameEvent#rejectBadImage(String)}. Bad
   *     images are an outcome, not an exception.
   */
  boolean preprocess(FrameEvent frame);

  @Override
  default void close() {}
}
