package io.lineinspect.core.model;

import io.lineinspect.core.config.ModelGateConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.quality.QualityCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Decides whether a loaded candidate may replace the served model: it must judge its golden set as
 * labelled ({@code minGoldenAccuracy}) and give the served model's verdict on the newest archived
 * line images ({@code minRecentAgreement}). Runs on the calling (lifecycle) thread, beside the
 * line, paced by {@code dutyCycle}.
 */
public final class GoldenGate {
  private final ModelGateConfig config;
  private final Pacer pacer;

  public GoldenGate(ModelGateConfig config, Pacer pacer) {
    this.config = config;
    this.pacer = pacer;
  }

  /**
   * @param golden the candidate's golden set, or null when it ships none
   * @param recent recent line image files (may be empty), read one at a time; a file that cannot be
   *     read any more (the archive's quota deleted it) is left out
   * @param progress receives one line per step
   */
  public GateReport check(
      InferenceBackend candidate,
      InferenceBackend served,
      List<GoldenSet.Labelled> golden,
      List<Path> recent,
      Consumer<String> progress) {
    List<String> reasons = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    int correct = 0;
    int missed = 0;
    int falseRejects = 0;
    int unjudged = 0;
    int agreed = 0;
    int recentTotal = 0;
    String servedId = served == null || served.model() == null ? "none" : served.model().id();
    try (ImageJudge judge = new ImageJudge(candidate, pacer)) {
      if (golden != null) {
        progress.accept("golden set: " + golden.size() + " pinned images");
        for (GoldenSet.Labelled g : golden) {
          ImageJudge.Result r = judge.judge(g.image());
          if (!r.judged()) {
            unjudged++;
            example(examples, g.image(), "not judged: " + r.problem());
          } else if (r.verdict() == g.expected()) {
            correct++;
          } else {
            if (g.expected() == Verdict.FAIL) {
              missed++;
            } else {
              falseRejects++;
            }
            example(
                examples,
                g.image(),
                String.format(
                    Locale.ROOT,
                    "labelled %s, candidate %s (score %.3f)",
                    g.expected() == Verdict.FAIL ? "defect" : "good",
                    r.verdict(),
                    r.score()));
          }
        }
      }
      if (!recent.isEmpty() && served != null && served.model() != null) {
        progress.accept(
            "recent line images: "
                + recent.size()
                + " judged by "
                + servedId
                + " and the candidate");
        try (ImageJudge live = new ImageJudge(served, pacer)) {
          for (Path p : recent) {
            ImageFile f;
            try {
              f = ImageFile.read(p);
            } catch (IOException e) {
              continue; // deleted by the archive's quota meanwhile, or torn: not evidence
            }
            ImageJudge.Result a = live.judge(f);
            if (!a.judged() && QualityCheck.isUnfit(a.problem())) {
              // The archive keeps fail-safe images too (a lens-cap phase): the served model did not
              // judge this one either, so it is no evidence for or against the candidate.
              continue;
            }
            recentTotal++;
            ImageJudge.Result b = judge.judge(f);
            if (a.judged() && b.judged() && a.verdict() == b.verdict()) {
              agreed++;
            } else {
              example(
                  examples,
                  f,
                  String.format(
                      Locale.ROOT,
                      "%s says %s (%.3f), candidate %s (%.3f)",
                      servedId,
                      a.judged() ? a.verdict() : "nothing",
                      a.score(),
                      b.judged() ? b.verdict() : "nothing",
                      b.score()));
            }
          }
        }
      }
    }
    int total = golden == null ? 0 : golden.size();
    if (golden == null && config.requireGolden()) {
      reasons.add(
          "the candidate ships no golden set (golden: in its manifest) and models.gate.requireGolden"
              + " is true");
    }
    if (total > 0 && (double) correct / total < config.minGoldenAccuracy()) {
      reasons.add(
          String.format(
              Locale.ROOT,
              "golden set: %d of %d correct (%.1f %%) is below models.gate.minGoldenAccuracy %.1f %%"
                  + " (%d defects passed, %d good parts failed, %d not judged)",
              correct,
              total,
              100.0 * correct / total,
              100 * config.minGoldenAccuracy(),
              missed,
              falseRejects,
              unjudged));
    }
    if (recentTotal > 0 && (double) agreed / recentTotal < config.minRecentAgreement()) {
      reasons.add(
          String.format(
              Locale.ROOT,
              "recent line images: agrees with %s on %d of %d (%.1f %%), below"
                  + " models.gate.minRecentAgreement %.1f %%",
              servedId,
              agreed,
              recentTotal,
              100.0 * agreed / recentTotal,
              100 * config.minRecentAgreement()));
    }
    return new GateReport(
        candidate.model().id(),
        servedId,
        total,
        correct,
        missed,
        falseRejects,
        unjudged,
        recentTotal,
        agreed,
        reasons.isEmpty(),
        List.copyOf(reasons),
        List.copyOf(examples));
  }

  private static void example(List<String> examples, ImageFile f, String what) {
    if (examples.size() < 10) {
      examples.add(f.path().getFileName() + ": " + what);
    }
  }
}
