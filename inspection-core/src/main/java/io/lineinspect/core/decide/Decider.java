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

  /** The verdict for a frame the model scored: FAIL at or above the model's threshold. */
  public Verdict judge(float score, ModelInfo model) {
    return score >= model.threshold() ? Verdict.FAIL : Verdict.PASS;
  }

  /** The verdict for a frame that could not be judged (any reason other than NONE). */
  public Verdict failSafe() {
    return failSafeVerdict;
  }
}
