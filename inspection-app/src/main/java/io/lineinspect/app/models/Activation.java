package io.lineinspect.app.models;

import io.lineinspect.core.config.ModelsConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.GoldenGate;
import io.lineinspect.core.model.GoldenSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * Activating a registry version: load it beside the served model, warm it up, run the golden-set
 * gate (its own golden set and the recent line images), then switch between two batches. The served
 * model stays on any failure. Runs on the {@code model-lifecycle} thread.
 */
public final class Activation {
  private final ModelsConfig config;
  private final Candidates candidates;
  private final ServedModels served;
  private final GoldenGate gate;
  private final Pacer pacer;
  private final Path archiveDir;

  /**
   * @param archiveDir the image archive (recent line images for the gate), or null
   */
  public Activation(
      ModelsConfig config,
      Candidates candidates,
      ServedModels served,
      Pacer pacer,
      Path archiveDir) {
    this.config = config;
    this.candidates = candidates;
    this.served = served;
    this.pacer = pacer;
    this.gate = new GoldenGate(config.gate(), pacer);
    this.archiveDir = archiveDir;
  }

  /** Serves {@code v} from the next batch on once it is loaded, warm and through the gate. */
  public Ending activate(ModelRegistry.Version v, Consumer<String> progress) {
    Path manifest = v.manifest();
    LoadedModel current = served.served();
    if (current.entry != null
        && current.entry.id().equals(v.id())
        && current.entry.sha256().equalsIgnoreCase(v.sha256())) {
      return Ending.of(Outcome.UNCHANGED, v.id() + " is already served");
    }
    progress.accept("loading " + v.id() + " from " + manifest);
    InferenceBackend candidate;
    try {
      pacer.awaitIdle();
      candidate = candidates.load(manifest);
    } catch (RuntimeException e) {
      return Ending.invalid(e.getMessage());
    }
    boolean handedOver = false;
    InferenceSession session = null;
    try {
      String incompatible = candidates.incompatibility(candidate);
      if (incompatible != null) {
        return Ending.invalid(incompatible);
      }
      progress.accept("warming up " + v.id() + " beside " + served.servedId());
      long[] timings;
      try {
        session = candidate.newSession();
        timings = candidates.warmUp(session, candidate);
      } catch (CancellationException e) {
        throw e;
      } catch (Exception | LinkageError e) {
        return Ending.invalid(v.id() + " fails during warm-up: " + e);
      }
      progress.accept("warm-up done, batch time (ms) by size: " + Candidates.describe(timings));
      List<GoldenSet.Labelled> golden = null;
      Path goldenFile = candidate.goldenFile();
      if (goldenFile != null) {
        try {
          golden = GoldenSet.load(goldenFile);
        } catch (IOException e) {
          return Ending.invalid(e.getMessage());
        }
      }
      GateReport report =
          gate.check(candidate, current.backend, golden, recent(progress), progress);
      progress.accept(describe(report));
      if (!report.passed()) {
        return new Ending(
            Outcome.REFUSED,
            v.id() + " refused by the golden-set gate: " + String.join("; ", report.reasons()),
            report);
      }
      LoadedModel next =
          new LoadedModel(
              candidate,
              new ModelState.Entry(
                  v.name(), v.version(), v.sha256(), ServedModels.now(), "activate"),
              timings);
      progress.accept("switching between two batches");
      String error = served.switchTo(next, session, false);
      if (error != null) {
        return new Ending(Outcome.FAILED, error, report);
      }
      handedOver = true;
      LoadedModel was = served.previous();
      return new Ending(
          Outcome.ACTIVATED,
          next.entry.id()
              + " serves from the next batch on (was "
              + (was.entry == null ? "no model" : was.entry.id())
              + ")",
          report);
    } finally {
      if (!handedOver) {
        if (session != null) {
          session.close();
        }
        candidate.close();
      }
    }
  }

  /** The archive's recent line images for the gate; none when there is no archive or it fails. */
  private List<Path> recent(Consumer<String> progress) {
    try {
      return archiveDir == null
          ? List.of()
          : GoldenSet.recent(archiveDir, config.gate().recentFrames());
    } catch (IOException e) {
      progress.accept("recent line images not readable (" + e.getMessage() + "): skipped");
      return List.of();
    }
  }

  /** One line on a golden-set gate's report: the golden set, the recent images, the verdict. */
  public static String describe(GateReport r) {
    StringBuilder b = new StringBuilder("gate: ");
    if (r.goldenTotal() > 0) {
      b.append(
          String.format(
              java.util.Locale.ROOT,
              "golden set %d/%d correct (%.1f %%)",
              r.goldenCorrect(),
              r.goldenTotal(),
              100 * r.goldenAccuracy()));
    } else {
      b.append("no golden set");
    }
    if (r.recentTotal() > 0) {
      b.append(
          String.format(
              java.util.Locale.ROOT,
              ", recent line images %d/%d agree with %s (%.1f %%)",
              r.recentAgreed(),
              r.recentTotal(),
              r.served(),
              100 * r.recentAgreement()));
    } else {
      b.append(", no recent line images");
    }
    return b.append(r.passed() ? ": passed" : ": FAILED").toString();
  }
}
