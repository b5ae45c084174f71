package io.lineinspect.app.models;

import io.lineinspect.core.model.GateReport;

/**
 * How one model operation ended, as its part ({@link Activation}, {@link Rollback}, {@link
 * ShadowControl}) knows it; the lifecycle adds the steps and what is served, and for {@link
 * Outcome#INVALID} that the served model stays.
 *
 * @param gate the golden-set report, when the gate ran
 */
public record Ending(Outcome outcome, String message, GateReport gate) {

  static Ending of(Outcome outcome, String message) {
    return new Ending(outcome, message, null);
  }

  /** The candidate is unusable: {@code why} names the problem. */
  static Ending invalid(String why) {
    return new Ending(Outcome.INVALID, why, null);
  }

  static Ending failed(String why) {
    return new Ending(Outcome.FAILED, why, null);
  }
}
