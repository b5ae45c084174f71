package io.lineinspect.core.decide;

import java.util.Locale;

/**
 * The one rule for what counts as a score: a finite number in [0, 1]. Anything else (NaN from a bad
 * export, an fp16 overflow on a GPU, a logit) means the model did not judge the part, so the frame
 * fails safe INFERENCE_ERROR — never a verdict. Used by the pipeline's emitter, the image judge
 * (golden-set gate, shadow model) and the backends' own output checks.
 *
 * <p>Stateless; any thread.
 */
public final class ScoreCheck {
  private ScoreCheck() {}

  /** True when {@code score} may be turned into a verdict. */
  public static boolean usable(float score) {
    return score >= 0f && score <= 1f; // false for NaN and both infinities
  }

  /** Why {@code score} is not a score, or null when it is {@link #usable}. */
  public static String problem(float score) {
    if (usable(score)) {
      return null;
    }
    return String.format(Locale.ROOT, "model output %s is not a score in [0, 1]", score);
  }
}
