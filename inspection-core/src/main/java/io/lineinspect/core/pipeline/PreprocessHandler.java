package io.lineinspect.core.pipeline;

import com.lmax.disruptor.EventHandler;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.quality.QualityCheck;
import io.lineinspect.core.time.NanoClock;
import java.lang.System.Logger.Level;

/**
 * Preprocess worker {@code id} of {@code count}: takes the ring entries whose sequence modulo
 * {@code count} is {@code id} and turns their payload into model input, in parallel with the other
 * workers. Frames already failed at ingest or already past their deadline are skipped (the
 * inference stage emits their fail-safe verdict). A preprocessed frame is then checked for being
 * fit to judge ({@link QualityCheck}, with the served model's limits): an unfit one fails safe
 * UNFIT_IMAGE and never reaches the model.
 *
 * <p>Owned by its thread ({@code preprocess-<id>}); the {@link Preprocessor} is created on it.
 */
final class PreprocessHandler implements EventHandler<FrameEvent> {
  private static final System.Logger LOG = System.getLogger(PreprocessHandler.class.getName());

  private final int id;
  private final int count;
  private final InferenceBackend backend;
  private final ModelSwitch models;
  private final NanoClock clock;
  private Preprocessor preprocessor;
  private QualityCheck quality;
  private long failures;

  /**
   * @param backend the backend whose preprocessing runs here (its input layout is read back by the
   *     fitness check)
   * @param models where the served model's quality limits come from (they follow a model switch)
   */
  PreprocessHandler(
      int id, int count, InferenceBackend backend, ModelSwitch models, NanoClock clock) {
    this.id = id;
    this.count = count;
    this.backend = backend;
    this.models = models;
    this.clock = clock;
  }

  @Override
  public void onStart() {
    preprocessor = backend.newPreprocessor();
    InputLayout layout = backend.inputLayout();
    quality = layout == null ? null : new QualityCheck(layout);
    if (quality != null) {
      quality.warmUp();
    }
  }

  @Override
  public void onShutdown() {
    if (preprocessor != null) {
      preprocessor.close();
    }
  }

  @Override
  public void onEvent(FrameEvent event, long sequence, boolean endOfBatch) {
    if (sequence % count != id || event.settled()) {
      return;
    }
    long now = clock.nanoTime();
    event.setPreprocessStartNs(now);
    if (event.deadlineNs() - now < 0) {
      event.failSafe(ReasonCode.DEADLINE, null);
      return;
    }
    try {
      if (preprocessor.preprocess(event) && quality != null && event.reason() == ReasonCode.NONE) {
        quality.apply(event, models.served().qualityLimits());
      }
    } catch (RuntimeException e) {
      // A preprocessor bug must not kill the worker: the frame fails safe, the stage keeps going.
      if (failures++ == 0 || Long.bitCount(failures) == 1) {
        LOG.log(Level.WARNING, "preprocessing failed (" + failures + " so far): " + e, e);
      }
      event.rejectBadImage("preprocessing failed: " + e.getClass().getSimpleName());
    }
    event.setPreprocessedNs(clock.nanoTime());
  }
}
