package io.lineinspect.app.models;

import io.lineinspect.core.config.ModelsConfig;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.model.ShadowRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The shadow model: a registry version that judges a sample of the live frames on spare capacity,
 * its disagreements with the live verdicts recorded in {@code
 * <models.shadow.dir>/<name>@<version>/}. It never changes a verdict, and its preprocessing may
 * differ from the served model's. At most one runs; starting another stops it first.
 *
 * <p>Started and stopped under the lifecycle's lock; {@link #shadow()} may be read from any thread.
 */
public final class ShadowControl {

  /** Where the pipeline's verdicts reach the shadow model, when one runs. */
  public static final class ShadowTap implements VerdictListener {
    private volatile VerdictListener target;

    @Override
    public void onVerdict(VerdictView v) {
      VerdictListener t = target;
      if (t != null) {
        t.onVerdict(v);
      }
    }
  }

  private final ModelsConfig config;
  private final Candidates candidates;
  private final ServedModels served;
  private final Path shadowRoot;
  private final ShadowTap tap;
  private final BooleanSupplier lineIdle;
  private volatile ShadowRunner shadow;
  private InferenceBackend shadowBackend;

  /**
   * @param shadowRoot where shadow runs record their disagreements ({@code models.shadow.dir})
   * @param tap the pipeline's listener that feeds the shadow model
   * @param lineIdle true when no frame is in the line: the shadow judges only then
   */
  public ShadowControl(
      ModelsConfig config,
      Candidates candidates,
      ServedModels served,
      Path shadowRoot,
      ShadowTap tap,
      BooleanSupplier lineIdle) {
    this.config = config;
    this.candidates = candidates;
    this.served = served;
    this.shadowRoot = shadowRoot;
    this.tap = tap;
    this.lineIdle = lineIdle;
  }

  /** Starts {@code v} as the shadow model, stopping the one running first. */
  public Ending start(ModelRegistry.Version v, Consumer<String> progress) {
    Path manifest = v.manifest();
    if (shadow != null) {
      progress.accept("stopping the shadow model " + shadow.candidate().id() + ": " + stopNow());
    }
    progress.accept("loading " + v.id() + " from " + manifest);
    InferenceBackend candidate;
    try {
      candidate = candidates.load(manifest);
    } catch (RuntimeException e) {
      return Ending.invalid(e.getMessage());
    }
    Path dir = shadowRoot.resolve(v.id());
    try {
      shadow = new ShadowRunner(config.shadow(), dir, candidate, lineIdle, config.besideThreads());
    } catch (IOException | RuntimeException e) {
      candidate.close();
      return Ending.invalid(v.id() + " cannot run as shadow model: " + e.getMessage());
    }
    shadowBackend = candidate;
    tap.target = shadow;
    return Ending.of(
        Outcome.DONE,
        v.id()
            + " runs in shadow of "
            + served.servedId()
            + " on every "
            + config.shadow().sampleEvery()
            + "th frame it judges (by frame number); disagreements go to "
            + dir);
  }

  /** Stops the shadow model; the message has its final counts. */
  public Ending stop() {
    if (shadow == null) {
      return Ending.failed("no shadow model runs");
    }
    String id = shadow.candidate().id();
    String counts = stopNow();
    return Ending.of(Outcome.DONE, "shadow model " + id + " stopped: " + counts);
  }

  /** The shadow model running now, or null. */
  public ShadowRunner shadow() {
    return shadow;
  }

  /** The running shadow's candidate and counts, or null when none runs. */
  public Map<String, Object> status() {
    ShadowRunner sh = shadow;
    if (sh == null) {
      return null;
    }
    Map<String, Object> shm = new LinkedHashMap<>();
    shm.put("candidate", sh.candidate().id());
    shm.put("stats", sh.stats());
    return shm;
  }

  /** Stops the shadow model if one runs. */
  public void close() {
    if (shadow != null) {
      stopNow();
    }
  }

  private String stopNow() {
    tap.target = null;
    ShadowRunner r = shadow;
    shadow = null;
    r.close();
    // Safe even if the shadow thread is still inside an inference after the runner's bounded
    // wait: DjlBackend (a GuardedBackend) closes its model when that thread closes its session.
    shadowBackend.close();
    shadowBackend = null;
    return describe(r.stats());
  }

  private static String describe(ShadowRunner.Stats s) {
    return String.format(
        java.util.Locale.ROOT,
        "%d sampled, %d judged, %d agreed, %d disagreed, %d skipped (line busy or slots full), %d"
            + " failed",
        s.offered(),
        s.judged(),
        s.agreed(),
        s.disagreed(),
        s.skippedBusy(),
        s.failed());
  }
}
