package io.lineinspect.core.decide;

import io.lineinspect.core.inference.ModelInfo;

/**
 * Turns a score into a verdict, and every frame that could not be judged into the line's fail-safe
 * verdict. Immutable; shared by every thread that emits verdicts.
 */
public final class Decider {
  private final Verdict failSafeVerdict;

  public Decider(Verdict failSafeVerdict) {
    this.failSafeVerdict = failSafeVerdict;
  }

  /**
   * The verdict for a frame the model scored: FAIL at or above the model's threshold. A score that
   * is not {@link ScoreCheck#usable} (NaN, infinite, outside [0, 1]) is never a PASS: callers fail
   * such frames safe INFERENCE_ERROR before they get here; this guard only makes a missed check
   * reject rather than pass.
   */
  public Verdict judge(float score, ModelInfo model) {
    if (!ScoreCheck.usable(score)) {
      return Verdict.FAIL;
    }
    return score >= model.threshold() ? Verdict.FAIL : Verdict.PASS;
  }

  /** The verdict for a frame that could not be judged (any reason other than NONE). */
  public Verdict failSafe() {
    return failSafeVerdict;
  }
}
