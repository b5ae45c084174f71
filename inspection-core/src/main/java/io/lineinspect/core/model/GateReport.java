package io.lineinspect.core.model;

import java.util.List;

/**
 * What the golden-set gate found for a candidate model.
 *
 * @param candidate the candidate's id ({@code name@version})
 * @param served the served model's id, compared with on recent images
 * @param goldenTotal images in the candidate's golden set (0 when it has none)
 * @param goldenCorrect of those, judged as labelled
 * @param missedDefects defect images the candidate passed
 * @param falseRejects good images the candidate failed
 * @param unjudged images the candidate could not judge (bad image, inference error): counted wrong
 * @param recentTotal recent archived line images judged by both models
 * @param recentAgreed of those, where the candidate gave the served model's verdict
 * @param passed whether the candidate may be served
 * @param reasons why it was refused (empty when passed)
 * @param examples up to 10 images it got wrong, with what it said
 */
public record GateReport(
    String candidate,
    String served,
    int goldenTotal,
    int goldenCorrect,
    int missedDefects,
    int falseRejects,
    int unjudged,
    int recentTotal,
    int recentAgreed,
    boolean passed,
    List<String> reasons,
    List<String> examples) {

  /** Share of the golden set judged as labelled (NaN without a golden set). */
  public double goldenAccuracy() {
    return goldenTotal == 0 ? Double.NaN : (double) goldenCorrect / goldenTotal;
  }

  /** Share of recent images with the served model's verdict (NaN without recent images). */
  public double recentAgreement() {
    return recentTotal == 0 ? Double.NaN : (double) recentAgreed / recentTotal;
  }
}
