package io.lineinspect.core.pipeline;

import com.lmax.disruptor.EventHandler;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.quality.QualityCheck;
import io.lineinspect.core.time.NanoClock;
import java.lang.System.Logger.Level;

/**
 * Preprocess worker {@code id} of {@code count}: takes the ring entries whose sequence modulo
 * {@code count} is {@code id} and turns their payload into model input, in parallel with the other
 * workers. Frames already failed at ingest or already past their deadline are skipped (the
 * inference stage emits their fail-safe verdict). An encoded payload (JPEG, PNG) is first proven
 * complete and sound by an {@link EncodedImageCheck}, so no backend's lenient decoder ever judges a
 * truncated or corrupt image; a refused one becomes BAD_IMAGE without being decoded. A preprocessed
 * frame is then checked for being fit to judge ({@link QualityCheck}, with the served model's
 * limits): an unfit one fails safe UNFIT_IMAGE and never reaches the model.
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
  private final Stage stage;
  private final PipelineMetrics metrics;
  // The pixel limit is enforced at ingest on the frame header, and the check requires the payload
  // to match the frame header, so no second limit is needed here.
  private final EncodedImageCheck encodedCheck = new EncodedImageCheck(Long.MAX_VALUE);
  private Preprocessor preprocessor;
  private QualityCheck quality;

  /**
   * @param backend the backend whose preprocessing runs here (its input layout is read back by the
   *     fitness check)
   * @param models where the served model's quality limits come from (they follow a model switch)
   */
  // A refused payload is bad input, not a stage fault: logged (de-duplicated), not a stage error.
  private long refusedEncoded;

  PreprocessHandler(
      int id,
      int count,
      InferenceBackend backend,
      ModelSwitch models,
      NanoClock clock,
      Stage stage,
      PipelineMetrics metrics) {
    this.id = id;
    this.count = count;
    this.backend = backend;
    this.models = models;
    this.clock = clock;
    this.stage = stage;
    this.metrics = metrics;
  }

  @Override
  public void onStart() {
    stage.started();
    preprocessor = backend.newPreprocessor();
    InputLayout layout = backend.inputLayout();
    quality = layout == null ? null : new QualityCheck(layout);
    if (quality != null) {
      quality.warmUp();
    } else if (id == 0) {
      LOG.log(
          Level.WARNING,
          "backend {0} declares no input layout: the fitness check (UNFIT_IMAGE) is OFF for its"
              + " frames",
          backend.getClass().getSimpleName());
    }
  }

  @Override
  public void onTimeout(long sequence) {
    stage.beat(); // the wait strategy times out every 200 us while idle: alive, nothing to do
  }

  @Override
  public void onShutdown() {
    encodedCheck.close();
    if (preprocessor != null) {
      preprocessor.close();
    }
  }

  @Override
  public void onEvent(FrameEvent event, long sequence, boolean endOfBatch) {
    stage.beat();
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
      if (event.format().isEncoded()) {
        String problem =
            encodedCheck.check(
                event.format(),
                event.payload(),
                event.payloadLength(),
                event.width(),
                event.height());
        if (problem != null) {
          if (ErrorLog.shouldLog(++refusedEncoded)) {
            LOG.log(
                Level.WARNING,
                "camera {0} frame {1}: refused {2} payload ({3} so far): {4}",
                event.cameraId(),
                Long.toUnsignedString(event.sequence()),
                event.format(),
                refusedEncoded,
                problem);
          }
          metrics.onEncodedRefused(event.format(), EncodedImageCheck.Cause.of(problem));
          event.rejectBadImage(problem);
          event.setPreprocessedNs(clock.nanoTime());
          return;
        }
      }
      if (preprocessor.preprocess(event) && quality != null && event.reason() == ReasonCode.NONE) {
        quality.apply(event, models.served().qualityLimits());
      }
    } catch (RuntimeException | LinkageError e) {
      // A preprocessor bug must not kill the worker: the frame fails safe, the stage keeps going.
      stage.error("preprocessing failed: " + e, e);
      event.rejectBadImage("preprocessing failed: " + e.getClass().getSimpleName());
    }
    event.setPreprocessedNs(clock.nanoTime());
  }
}
