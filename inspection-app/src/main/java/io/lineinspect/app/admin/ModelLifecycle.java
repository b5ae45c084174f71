package io.lineinspect.app.admin;

import io.lineinspect.app.models.Activation;
import io.lineinspect.app.models.Candidates;
import io.lineinspect.app.models.Ending;
import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.app.models.ModelState;
import io.lineinspect.app.models.Outcome;
import io.lineinspect.app.models.Rollback;
import io.lineinspect.app.models.ServedModels;
import io.lineinspect.app.models.ShadowControl;
import io.lineinspect.core.batching.BatchTimingModel;
import io.lineinspect.core.config.ModelsConfig;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.ShadowRunner;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Brings model versions onto the running line: the entry point of the admin API's model operations
 * (activate, rollback, shadow start and stop) and their status. One operation at a time, each on
 * the {@code model-lifecycle} thread while the caller (an admin HTTP thread) waits, never on a
 * pipeline thread. The work itself is in {@code io.lineinspect.app.models}: {@link Activation},
 * {@link Rollback}, {@link ShadowControl}, and {@link ServedModels}, which owns every loaded model
 * and {@code models.state}.
 *
 * <p>Lives in {@code io.lineinspect.app} beside {@link AdminServer}, its one caller; it moves to
 * {@code models} with the admin endpoint's move.
 */
public final class ModelLifecycle implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelLifecycle.class.getName());

  /** The longest a candidate's unit of work waits for an idle line before running anyway. */
  private static final long IDLE_WAIT_MS = 100;

  /**
   * @param served the model served after the operation
   * @param steps what was done, in order (also logged)
   * @param gate the golden-set report, when the gate ran
   */
  record Result(
      Outcome outcome, String message, String served, List<String> steps, GateReport gate) {}

  private final ModelRegistry registry;
  private final ServedModels served;
  private final Candidates candidates;
  private final Activation activation;
  private final Rollback rollback;
  private final ShadowControl shadows;
  private final Pacer pacer;
  private final ReentrantLock busy = new ReentrantLock();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t =
                new Thread(
                    () -> {
                      Pacer.lowerCallingThreadPriority();
                      r.run();
                    },
                    "model-lifecycle");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong refusals = new AtomicLong();
  private volatile String step = "idle";
  private volatile Result last;
  private boolean closed;

  /**
   * @param loader loads and checks the model of a manifest (throws a {@code ModelException} naming
   *     the problem), or null when the service does not run registry models (builtin backend)
   * @param initial the backend the service started with (owned from now on)
   * @param state what {@code models.state} said at start
   * @param archiveDir the image archive (recent line images for the gate), or null
   * @param shadowRoot where shadow runs record their disagreements ({@code models.shadow.dir})
   * @param shadowTap the pipeline's listener that feeds the shadow model
   * @param lineIdle true when no frame is in the line: candidate work waits for it (spare capacity)
   */
  public ModelLifecycle(
      ModelsConfig config,
      ModelRegistry registry,
      Path stateFile,
      Function<Path, InferenceBackend> loader,
      ModelSwitch models,
      BatchTimingModel timing,
      InferenceBackend initial,
      ModelState state,
      DriftMonitor drift,
      Path archiveDir,
      Path shadowRoot,
      ShadowControl.ShadowTap shadowTap,
      BooleanSupplier lineIdle) {
    this.registry = registry;
    this.pacer =
        new Pacer(config.warmupDutyCycle(), lineIdle, TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MS));
    this.served =
        new ServedModels(
            stateFile, models, timing, initial, state, drift, config.switchTimeoutMs());
    this.candidates = new Candidates(registry, loader, served, pacer);
    this.activation = new Activation(config, candidates, served, pacer, archiveDir);
    this.rollback = new Rollback(candidates, served);
    this.shadows = new ShadowControl(config, candidates, served, shadowRoot, shadowTap, lineIdle);
  }

  /**
   * Told when an activation or a rollback has ended (the plant exporter), on the thread that asked
   * for it; must not block.
   */
  @FunctionalInterface
  public interface Ended {
    /**
     * @param operation {@code activation} or {@code rollback}
     * @param target the version asked for ({@code name@version}), or null for a rollback
     */
    void ended(String operation, String target, Outcome outcome, String message);
  }

  private volatile Ended ended;

  /** Sets the one {@link Ended} listener (null: none). */
  public void onEnded(Ended listener) {
    this.ended = listener;
  }

  private Result told(String operation, String target, Result r) {
    Ended e = ended;
    if (e != null && r.outcome() != Outcome.BUSY) {
      try {
        e.ended(operation, target, r.outcome(), r.message());
      } catch (RuntimeException ex) {
        LOG.log(Level.WARNING, "models: the operation listener failed: " + ex);
      }
    }
    return r;
  }

  /** Loads, warms up and checks {@code name@version}, then serves it from the next batch on. */
  Result activate(String name, String version) {
    return told(
        "activation",
        name + "@" + version,
        exclusive(
            () ->
                tracked(
                    p -> candidates.withServable(name, version, v -> activation.activate(v, p)))));
  }

  /**
   * Serves the version served before the current one again (see {@link Rollback}): at once when it
   * is still loaded, else loaded from the registry and warmed up first.
   */
  Result rollback() {
    return told("rollback", null, exclusive(() -> tracked(rollback::rollback)));
  }

  /**
   * Starts {@code name@version} as the shadow model (see {@link ShadowControl}); a shadow model
   * already running is stopped first.
   */
  Result startShadow(String name, String version) {
    return exclusive(
        () -> tracked(p -> candidates.withServable(name, version, v -> shadows.start(v, p))));
  }

  /** Stops the shadow model; the result's message has its final counts. */
  Result stopShadow() {
    if (!busy.tryLock()) {
      return busyResult();
    }
    try {
      return result(shadows.stop(), List.of());
    } finally {
      busy.unlock();
    }
  }

  /** Runs {@code op} with its steps recorded (and shown as the operation under way). */
  private Result tracked(Function<Consumer<String>, Ending> op) {
    List<String> steps = new ArrayList<>();
    Consumer<String> progress =
        s -> {
          step = s;
          steps.add(s);
          LOG.log(Level.INFO, "models: " + s);
        };
    try {
      return result(op.apply(progress), steps);
    } finally {
      step = "idle";
    }
  }

  /**
   * Runs one operation on the {@code model-lifecycle} thread (idle CPU priority: see {@link
   * Pacer#lowerCallingThreadPriority()}) and waits for it; BUSY at once when another one runs.
   */
  private Result exclusive(Supplier<Result> op) {
    if (!busy.tryLock()) {
      return busyResult();
    }
    try {
      if (closed) {
        return result(Outcome.FAILED, "the service is stopping", List.of(), null);
      }
      return worker.submit(op::get).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CancellationException) {
        return result(
            Outcome.FAILED,
            "the service is stopping: the operation was abandoned; " + served.servedId() + " stays",
            List.of(),
            null);
      }
      LOG.log(Level.ERROR, "models: operation failed", e.getCause());
      return result(
          Outcome.FAILED,
          "internal error: " + e.getCause() + "; " + served.servedId() + " stays",
          List.of(),
          null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return result(Outcome.FAILED, "interrupted", List.of(), null);
    } finally {
      busy.unlock();
    }
  }

  private Result busyResult() {
    return new Result(
        Outcome.BUSY,
        "another model operation is running (" + step + "); try again when it is done",
        served.servedId(),
        List.of(),
        null);
  }

  /** The result of an operation that ended so; a refused candidate is counted. */
  private Result result(Ending e, List<String> steps) {
    if (e.outcome().isRefusal()) {
      refusals.incrementAndGet();
    }
    String message =
        e.outcome() == Outcome.INVALID
            ? e.message() + "; " + served.servedId() + " stays"
            : e.message();
    return result(e.outcome(), message, steps, e.gate());
  }

  private Result result(Outcome outcome, String message, List<String> steps, GateReport gate) {
    Result r = new Result(outcome, message, served.servedId(), List.copyOf(steps), gate);
    last = r;
    LOG.log(
        outcome.httpStatus == 200 ? Level.INFO : Level.WARNING,
        "models: " + outcome + ": " + message);
    return r;
  }

  /** What is served, what can be rolled back to, the last operation; for status and metrics. */
  public Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>(served.status());
    m.put("shadow", shadows.status());
    m.put("operation", step);
    m.put("switches", served.switches());
    m.put("refusals", refusals.get());
    Result r = last;
    if (r != null) {
      Map<String, Object> lr = new LinkedHashMap<>();
      lr.put("outcome", r.outcome().name());
      lr.put("message", r.message());
      m.put("last", lr);
    }
    return m;
  }

  /** The shadow model running now, or null. */
  ShadowRunner shadow() {
    return shadows.shadow();
  }

  /** Every version in the registry, with whether it could be served and what it is now. */
  List<Map<String, Object>> registryListing() throws IOException {
    return served.listing(registry);
  }

  long switches() {
    return served.switches();
  }

  long refusals() {
    return refusals.get();
  }

  /**
   * A running operation stops at its next step (one inference call at most) and fails; the served
   * model stays. Called first when the service stops, so that a candidate's work does not compete
   * with the drain.
   */
  public void stopping() {
    pacer.cancel();
  }

  /** Closes every model this lifecycle holds. Called after the pipeline has stopped. */
  @Override
  public void close() {
    stopping();
    busy.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      worker.shutdownNow();
      // An operation whose caller gave up waiting (interrupted) may still run: cancelled above,
      // it stops at its next step. Wait for that, bounded; the models it may still be inside are
      // closed by their last session either way (GuardedBackend), so a stuck one costs a leak,
      // never a use-after-close.
      try {
        if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
          LOG.log(Level.WARNING, "models: an operation is still running after 5 s; closing anyway");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      shadows.close();
      served.close();
    } finally {
      busy.unlock();
    }
  }
}
