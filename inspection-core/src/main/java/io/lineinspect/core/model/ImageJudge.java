package io.lineinspect.core.model;

import io.lineinspect.core.decide.Decider;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.ScoreCheck;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.quality.QualityCheck;
import io.lineinspect.core.quality.QualityLimits;

/**
 * Judges single images with one backend, off the line: the same preprocessing and model as the
 * pipeline, one frame at a time, on the calling thread. Used to check a candidate against the
 * golden set and to run a shadow model, paced by a {@link Pacer} to the line's spare capacity. Like
 * the pipeline, it checks each preprocessed image against the backend's own quality limits: an
 * image unfit to judge is not judged (so a candidate whose limits reject its own golden images
 * fails its gate visibly).
 *
 * <p>Owned by one thread; not thread-safe.
 */
public final class ImageJudge implements AutoCloseable {
  private static final Decider DECIDER = new Decider(Verdict.FAIL);

  /**
   * @param verdict PASS or FAIL by the model's threshold; null when the image could not be judged
   * @param score the defect score (NaN when not judged)
   * @param label the model's label ("" when not judged)
   * @param problem why the image could not be judged, or null
   */
  public record Result(Verdict verdict, float score, String label, String problem) {
    public boolean judged() {
      return verdict != null;
    }
  }

  private final ModelInfo model;
  private final Preprocessor preprocessor;
  private final InferenceSession session;
  private final QualityCheck quality;
  private final QualityLimits limits;
  private final Pacer pacer;
  private final FrameEvent event = FrameEvent.standalone();
  private final FrameEvent[] batch = {event};
  // Image files and recorded line frames carry their own header size; ingest enforced the limit.
  private final EncodedImageCheck encodedCheck = new EncodedImageCheck(Long.MAX_VALUE);

  public ImageJudge(InferenceBackend backend, Pacer pacer) {
    this.model = backend.model();
    if (model == null) {
      throw new IllegalArgumentException("backend has no model loaded");
    }
    this.pacer = pacer;
    this.quality = backend.inputLayout() == null ? null : new QualityCheck(backend.inputLayout());
    this.limits = backend.qualityLimits();
    this.preprocessor = backend.newPreprocessor();
    InferenceSession s;
    try {
      s = backend.newSession();
    } catch (RuntimeException e) {
      preprocessor.close();
      throw e;
    }
    this.session = s;
  }

  public ModelInfo model() {
    return model;
  }

  public Result judge(ImageFile image) {
    return judge(
        image.bytes(), image.bytes().length, image.width(), image.height(), image.format());
  }

  /** Judges {@code bytes[0..length)} as a frame of the given size and format. */
  public Result judge(byte[] bytes, int length, int width, int height, PixelFormat format) {
    pacer.awaitIdle();
    long start = System.nanoTime();
    try {
      event.clear();
      event.setFrame(0, 0, false, 0, width, height, format, start);
      System.arraycopy(bytes, 0, event.payloadBuffer(length), 0, length);
      try {
        String problem = encodedCheck.check(format, event.payload(), length, width, height);
        if (problem != null) {
          event.rejectBadImage(problem);
          return new Result(null, Float.NaN, "", "bad image: " + event.detail());
        }
        if (!preprocessor.preprocess(event) || event.reason() != ReasonCode.NONE) {
          return new Result(null, Float.NaN, "", "bad image: " + event.detail());
        }
        if (quality != null && !quality.apply(event, limits)) {
          return new Result(null, Float.NaN, "", event.detail());
        }
      } catch (RuntimeException e) {
        return new Result(null, Float.NaN, "", "preprocessing failed: " + e);
      }
      try {
        session.infer(batch, 1);
      } catch (Exception | LinkageError e) {
        return new Result(null, Float.NaN, "", "inference failed: " + e);
      }
      if (event.reason() != ReasonCode.NONE) {
        return new Result(null, Float.NaN, "", "inference error: " + event.detail());
      }
      if (!event.scored()) {
        return new Result(null, Float.NaN, "", "the model gave no score");
      }
      String problem = ScoreCheck.problem(event.score());
      if (problem != null) {
        return new Result(null, Float.NaN, "", "inference error: " + problem);
      }
      return new Result(DECIDER.judge(event.score(), model), event.score(), event.label(), null);
    } finally {
      pacer.rest(System.nanoTime() - start);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      encodedCheck.close();
      preprocessor.close();
    }
  }
}
