package io.lineinspect.core.quality;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.Locale;

/**
 * The per-frame "fit to judge" check: computes {@link FrameStats} on the model input a preprocessor
 * wrote into a frame and compares them with {@link QualityLimits}. A frame outside any limit fails
 * safe {@link ReasonCode#UNFIT_IMAGE} with the check, the measured value and the limit in its
 * detail ({@code "brightness 0.0000 < minBrightness 0.0600"}), and is never sent to the model. Runs
 * right after preprocessing, in the pipeline and in {@code ImageJudge} (golden set, shadow model),
 * so a candidate model is gated with its own limits.
 *
 * <p>One pass over the input, no allocation for a fit frame (the detail text of an unfit one is
 * built once). Owned by one thread.
 */
public final class QualityCheck {
  /** How every detail of an unfit frame starts. */
  public static final String PREFIX = "unfit image: ";

  private final FrameStats stats;

  public QualityCheck(InputLayout layout) {
    this.stats = new FrameStats(layout);
  }

  /**
   * Runs the statistics on a synthetic input until the JIT has compiled them, so the first real
   * frames do not pay interpreted loops (tens of milliseconds over the first frames, out of their
   * budget). Called once by the owning thread before it takes frames; allocates one input.
   */
  public void warmUp() {
    float[] input = new float[stats.layout().floats()];
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < WARM_UP_FRAMES; i++) {
      stats.compute(input);
    }
  }

  private static final int WARM_UP_FRAMES = 300;

  /** The statistics of the frame checked last. */
  public FrameStats stats() {
    return stats;
  }

  /**
   * Checks {@code frame}'s model input against {@code limits}; an unfit frame is failed safe
   * UNFIT_IMAGE.
   *
   * @return true when the frame is fit to judge
   */
  public boolean apply(FrameEvent frame, QualityLimits limits) {
    String problem = check(frame.input(), limits);
    if (problem == null) {
      return true;
    }
    frame.failSafe(ReasonCode.UNFIT_IMAGE, problem);
    return false;
  }

  /** Checks {@code input}; null when fit, else which check failed, measured value vs limit. */
  public String check(float[] input, QualityLimits limits) {
    if (input.length < stats.layout().floats()) {
      return "model input has " + input.length + " values, the layout says " + stats.layout();
    }
    stats.compute(input);
    if (!(stats.brightness() >= limits.minBrightness())) {
      return describe(
          "brightness", stats.brightness(), "<", "minBrightness", limits.minBrightness());
    }
    if (!(stats.brightness() <= limits.maxBrightness())) {
      return describe(
          "brightness", stats.brightness(), ">", "maxBrightness", limits.maxBrightness());
    }
    if (!(stats.contrast() >= limits.minContrast())) {
      return describe("contrast", stats.contrast(), "<", "minContrast", limits.minContrast());
    }
    if (!(stats.clippedFraction() <= limits.maxClippedFraction())) {
      return describe(
          "clipped pixels",
          stats.clippedFraction(),
          ">",
          "maxClippedFraction",
          limits.maxClippedFraction());
    }
    if (!(stats.flatCellFraction() <= limits.maxFlatCellFraction())) {
      return describe(
          "flat cells",
          stats.flatCellFraction(),
          ">",
          "maxFlatCellFraction",
          limits.maxFlatCellFraction());
    }
    if (!(stats.sharpness() >= limits.minSharpness())) {
      return describe("sharpness", stats.sharpness(), "<", "minSharpness", limits.minSharpness());
    }
    return null;
  }

  private static String describe(String what, double value, String op, String key, double limit) {
    return String.format(Locale.ROOT, PREFIX + "%s %.4f %s %s %.4f", what, value, op, key, limit);
  }

  /** True when {@code detail} is that of a frame this check found unfit. */
  public static boolean isUnfit(String detail) {
    return detail != null && detail.startsWith(PREFIX);
  }
}
