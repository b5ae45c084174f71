package io.lineinspect.core.config;

import io.lineinspect.core.decide.Verdict;

/**
 * The line this service instance serves.
 *
 * @param name line name, shown in logs and sent to cameras in HELLO_ACK (required)
 * @param budgetMs time from frame receipt to verdict, in milliseconds (required, 1..10000)
 * @param failSafeVerdict verdict for frames that could not be judged (default FAIL = reject)
 */
public record LineConfig(String name, Integer budgetMs, Verdict failSafeVerdict) {
  public LineConfig {
    name = Check.text("line.name", name, null);
    budgetMs = Check.intIn("line.budgetMs", budgetMs, null, 1, 10_000);
    failSafeVerdict = failSafeVerdict == null ? Verdict.FAIL : failSafeVerdict;
  }
}
