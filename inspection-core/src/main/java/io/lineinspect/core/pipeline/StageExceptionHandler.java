package io.lineinspect.core.pipeline;

import com.lmax.disruptor.ExceptionHandler;
import io.lineinspect.core.health.Stage;

/**
 * For the preprocess workers' Disruptor processors: an exception that escapes the handler is
 * counted on the stage and the worker continues with the next entry (Disruptor's default handler
 * would end the thread, and with it every later frame's preprocessing). The entry it failed on is
 * failed safe BAD_IMAGE, so it is never judged on half-written input.
 */
final class StageExceptionHandler implements ExceptionHandler<FrameEvent> {
  private final Stage stage;

  StageExceptionHandler(Stage stage) {
    this.stage = stage;
  }

  @Override
  public void handleEventException(Throwable ex, long sequence, FrameEvent event) {
    stage.error("entry " + sequence + ": " + ex, ex);
    if (event != null && !event.settled()) {
      event.rejectBadImage("preprocessing failed: " + ex.getClass().getSimpleName());
    }
  }

  @Override
  public void handleOnStartException(Throwable ex) {
    stage.fail("could not start: " + ex);
  }

  @Override
  public void handleOnShutdownException(Throwable ex) {
    stage.error("on shutdown: " + ex, ex);
  }
}
