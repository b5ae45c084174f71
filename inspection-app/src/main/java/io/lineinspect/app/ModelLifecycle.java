package io.lineinspect.app;

import io.lineinspect.core.batching.BatchTimingModel;
import io.lineinspect.core.config.ModelsConfig;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.WarmUp;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.GoldenGate;
import io.lineinspect.core.model.GoldenSet;
import io.lineinspect.core.model.ShadowRunner;
import io.lineinspect.core.time.NanoClock;
import io.lineinspect.inference.djl.DjlBackend;
import io.lineinspect.inference.djl.ModelException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Brings model versions onto the running line: activate (load beside the served model, warm up,
 * golden-set gate, switch between two batches), one-step rollback, and the record of what is served
 * ({@code models.state}). One operation at a time; each runs on the caller's thread (an admin HTTP
 * thread), never on a pipeline thread.
 *
 * <p>The lifecycle owns every backend it has loaded and the one the service started with: the
 * served one, the one served before (kept loaded with its idle session, so a rollback is a switch
 * of milliseconds), closed on {@link #close()}.
 */
final class ModelLifecycle implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelLifecycle.class.getName());

  /** The longest a candidate's unit of work waits for an idle line before running anyway. */
  private static final long IDLE_WAIT_MS = 100;

  /** How an operation ended; each maps to one HTTP status of the admin API. */
  enum Outcome {
    /** The requested version judges from the next batch on. */
    ACTIVATED(200),
    /** The requested version was already served: nothing changed. */
    UNCHANGED(200),
    /** A shadow model was started or stopped. */
    DONE(200),
    /** The candidate loaded but failed the golden-set gate; the served model stays. */
    REFUSED(409),
    /** The candidate is unusable (not in the registry, manifest, checksum, shape, input); stays. */
    INVALID(422),
    /** Another model operation is running. */
    BUSY(409),
    /** Not possible now (no earlier version, builtin backend, line stopped); the served stays. */
    FAILED(409);

    final int httpStatus;

    Outcome(int httpStatus) {
      this.httpStatus = httpStatus;
    }
  }

  /**
   * @param served the model served after the operation
   * @param steps what was done, in order (also logged)
   * @param gate the golden-set report, when the gate ran
   */
  record Result(
      Outcome outcome, String message, String served, List<String> steps, GateReport gate) {}

  /** A model loaded in this process. */
  private static final class Loaded {
    final InferenceBackend backend;
    final ModelState.Entry entry;
    long[] timings; // per batch size; the live estimates when it stopped serving
    InferenceSession idleSession; // its warmed session while another model serves

    Loaded(InferenceBackend backend, ModelState.Entry entry, long[] timings) {
      this.backend = backend;
      this.entry = entry;
      this.timings = timings;
    }

    void close() {
      if (idleSession != null) {
        idleSession.close();
        idleSession = null;
      }
      backend.close();
    }
  }

  private final ModelsConfig config;
  private final ModelRegistry registry;
  private final Path stateFile;
  private final Function<Path, InferenceBackend> loader;
  private final ModelSwitch models;
  private final BatchTimingModel timing;
  private final DriftMonitor drift;
  private final Path archiveDir;
  private final GoldenGate gate;
  private final Pacer pacer;
  private final ReentrantLock busy = new ReentrantLock();
  private final java.util.concurrent.ExecutorService worker =
      java.util.concurrent.Executors.newSingleThreadExecutor(
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
  private final AtomicLong switches = new AtomicLong();
  private final AtomicLong refusals = new AtomicLong();
  private volatile String step = "idle";
  private volatile Result last;
  private volatile ModelState state;
  private Loaded served;
  private Loaded previous;
  private boolean closed;
  private final Path shadowRoot;
  private final BooleanSupplier lineIdle;
  private final ShadowTap shadowTap;
  private volatile ShadowRunner shadow;
  private InferenceBackend shadowBackend;

  /** Where the pipeline's verdicts reach the shadow model, when one runs. */
  static final class ShadowTap implements VerdictListener {
    private volatile VerdictListener target;

    @Override
    public void onVerdict(VerdictView v) {
      VerdictListener t = target;
      if (t != null) {
        t.onVerdict(v);
      }
    }
  }

  /**
   * @param loader loads and checks the model of a manifest (throws {@link ModelException} naming
   *     the problem), or null when the service does not run registry models (builtin backend)
   * @param initial the backend the service started with (owned from now on)
   * @param state what {@code models.state} said at start
   * @param archiveDir the image archive (recent line images for the gate), or null
   * @param shadowRoot where shadow runs record their disagreements ({@code models.shadow.dir})
   * @param shadowTap the pipeline's listener that feeds the shadow model
   * @param lineIdle true when no frame is in the line: candidate work waits for it (spare capacity)
   */
  ModelLifecycle(
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
      ShadowTap shadowTap,
      BooleanSupplier lineIdle) {
    this.shadowRoot = shadowRoot;
    this.shadowTap = shadowTap;
    this.lineIdle = lineIdle;
    this.config = config;
    this.registry = registry;
    this.stateFile = stateFile;
    this.loader = loader;
    this.models = models;
    this.timing = timing;
    this.drift = drift;
    this.archiveDir = archiveDir;
    this.pacer =
        new Pacer(config.warmupDutyCycle(), lineIdle, TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MS));
    this.gate = new GoldenGate(config.gate(), pacer);
    ModelInfo m = initial.model();
    ModelState.Entry entry =
        state.served() != null && m != null && state.served().sha256().equals(m.sha256())
            ? state.served()
            : m == null
                ? null
                : new ModelState.Entry(m.name(), m.version(), m.sha256(), now(), "config");
    // Not saved until something changes: a line that never activates stays on its configuration.
    this.state =
        state.served() == null && entry != null ? new ModelState(entry, state.history()) : state;
    this.served = new Loaded(initial, entry, null);
  }

  private static String now() {
    return Instant.now().toString();
  }

  /** Loads, warms up and checks {@code name@version}, then serves it from the next batch on. */
  Result activate(String name, String version) {
    return exclusive(() -> withServable(name, version, this::doActivate));
  }

  /** What an operation on one registry version does once the version passed its checks. */
  private interface VersionOperation {
    Result run(ModelRegistry.Version v, List<String> steps, Consumer<String> progress);
  }

  /**
   * Runs {@code op} for {@code name@version} from the registry when the service serves registry
   * models and the version passes the checks that need no loading; otherwise the refusal.
   */
  private Result withServable(String name, String version, VersionOperation op) {
    List<String> steps = new ArrayList<>();
    try {
      if (loader == null) {
        return notDjl(steps);
      }
      ModelRegistry.Version v;
      try {
        v = servable(name, version);
      } catch (ModelException e) {
        return invalid(e.getMessage(), steps);
      }
      return op.run(v, steps, progress(steps));
    } finally {
      step = "idle";
    }
  }

  private Result doActivate(
      ModelRegistry.Version v, List<String> steps, Consumer<String> progress) {
    Path manifest = v.manifest();
    if (served.entry != null
        && served.entry.id().equals(v.id())
        && served.entry.sha256().equalsIgnoreCase(v.sha256())) {
      return result(Outcome.UNCHANGED, v.id() + " is already served", steps, null);
    }
    progress.accept("loading " + v.id() + " from " + manifest);
    InferenceBackend candidate;
    try {
      pacer.awaitIdle();
      candidate = loader.apply(manifest);
    } catch (RuntimeException e) {
      return invalid(e.getMessage(), steps);
    }
    boolean handedOver = false;
    InferenceSession session = null;
    try {
      String incompatible = incompatibility(candidate);
      if (incompatible != null) {
        return invalid(incompatible, steps);
      }
      progress.accept("warming up " + v.id() + " beside " + servedId());
      long[] timings;
      try {
        session = candidate.newSession();
        timings = warmUp(session, candidate);
      } catch (java.util.concurrent.CancellationException e) {
        throw e;
      } catch (Exception | LinkageError e) {
        return invalid(v.id() + " fails during warm-up: " + e, steps);
      }
      progress.accept("warm-up done, batch time (ms) by size: " + describe(timings));
      List<GoldenSet.Labelled> golden = null;
      Path goldenFile =
          candidate instanceof DjlBackend d ? d.manifest().goldenFile(manifest) : null;
      if (goldenFile != null) {
        try {
          golden = GoldenSet.load(goldenFile);
        } catch (IOException e) {
          return invalid(e.getMessage(), steps);
        }
      }
      List<Path> recent;
      try {
        recent =
            archiveDir == null
                ? List.of()
                : GoldenSet.recent(archiveDir, config.gate().recentFrames());
      } catch (IOException e) {
        recent = List.of();
        progress.accept("recent line images not readable (" + e.getMessage() + "): skipped");
      }
      GateReport report = gate.check(candidate, served.backend, golden, recent, progress);
      progress.accept(describe(report));
      if (!report.passed()) {
        refusals.incrementAndGet();
        return result(
            Outcome.REFUSED,
            v.id() + " refused by the golden-set gate: " + String.join("; ", report.reasons()),
            steps,
            report);
      }
      Loaded next =
          new Loaded(
              candidate,
              new ModelState.Entry(v.name(), v.version(), v.sha256(), now(), "activate"),
              timings);
      progress.accept("switching between two batches");
      String error = switchTo(next, session, false);
      if (error != null) {
        return result(Outcome.FAILED, error, steps, report);
      }
      handedOver = true;
      return result(
          Outcome.ACTIVATED,
          next.entry.id()
              + " serves from the next batch on (was "
              + (previous.entry == null ? "no model" : previous.entry.id())
              + ")",
          steps,
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

  /**
   * Serves the version served before the current one again: at once when it is still loaded (its
   * warmed session waits), else loaded from the registry and warmed up first. No golden-set gate:
   * it was served before. Its file must still be the one that was served (same SHA-256).
   */
  Result rollback() {
    return exclusive(this::doRollback);
  }

  private Result doRollback() {
    List<String> steps = new ArrayList<>();
    Consumer<String> progress = progress(steps);
    try {
      ModelState s = state;
      if (s.history().isEmpty()) {
        return result(
            Outcome.FAILED,
            "nothing to roll back to: no version was served before " + servedId(),
            steps,
            null);
      }
      ModelState.Entry target = s.history().get(0);
      Loaded next;
      InferenceSession session;
      boolean loadedHere = false;
      if (previous != null
          && previous.entry != null
          && previous.entry.id().equals(target.id())
          && previous.entry.sha256().equalsIgnoreCase(target.sha256())
          && previous.idleSession != null) {
        next = previous;
        session = previous.idleSession;
        previous.idleSession = null;
        previous = null;
        progress.accept(target.id() + " is still loaded and warm");
      } else {
        if (loader == null) {
          return notDjl(steps);
        }
        ModelRegistry.Version v;
        try {
          v = servable(target.name(), target.version());
        } catch (ModelException e) {
          return invalid(e.getMessage(), steps);
        }
        Path manifest = v.manifest();
        if (!target.sha256().equalsIgnoreCase(v.sha256())) {
          return invalid(
              manifest
                  + " now describes another file (SHA-256 "
                  + v.sha256()
                  + ") than the one served before ("
                  + target.sha256()
                  + "); refusing to roll back to a model that was never served",
              steps);
        }
        progress.accept("loading " + target.id() + " from " + manifest);
        InferenceBackend backend;
        try {
          backend = loader.apply(manifest);
        } catch (RuntimeException e) {
          return invalid(e.getMessage(), steps);
        }
        String incompatible = incompatibility(backend);
        if (incompatible != null) {
          backend.close();
          return invalid(incompatible, steps);
        }
        try {
          session = backend.newSession();
          progress.accept("warming up " + target.id());
          next = new Loaded(backend, target, warmUp(session, backend));
        } catch (Exception | LinkageError e) {
          backend.close();
          if (e instanceof java.util.concurrent.CancellationException c) {
            throw c;
          }
          return invalid(target.id() + " fails during warm-up: " + e, steps);
        }
        loadedHere = true;
      }
      ModelState.Entry entry =
          new ModelState.Entry(target.name(), target.version(), target.sha256(), now(), "rollback");
      Loaded withEntry = new Loaded(next.backend, entry, next.timings);
      progress.accept("switching between two batches");
      String error = switchTo(withEntry, session, true);
      if (error != null) {
        if (loadedHere) {
          session.close();
          next.backend.close();
        }
        return result(Outcome.FAILED, error, steps, null);
      }
      return result(
          Outcome.ACTIVATED,
          "rolled back: " + entry.id() + " serves from the next batch on",
          steps,
          null);
    } finally {
      step = "idle";
    }
  }

  /**
   * Runs one operation on the {@code model-lifecycle} thread (idle CPU priority: see {@link
   * Pacer#lowerCallingThreadPriority()}) and waits for it; BUSY at once when another one runs.
   */
  private Result exclusive(java.util.function.Supplier<Result> op) {
    if (!busy.tryLock()) {
      return busyResult();
    }
    try {
      if (closed) {
        return result(Outcome.FAILED, "the service is stopping", List.of(), null);
      }
      return worker.submit(op::get).get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof java.util.concurrent.CancellationException) {
        return result(
            Outcome.FAILED,
            "the service is stopping: the operation was abandoned; " + servedId() + " stays",
            List.of(),
            null);
      }
      LOG.log(Level.ERROR, "models: operation failed", e.getCause());
      return result(
          Outcome.FAILED,
          "internal error: " + e.getCause() + "; " + servedId() + " stays",
          List.of(),
          null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return result(Outcome.FAILED, "interrupted", List.of(), null);
    } finally {
      busy.unlock();
    }
  }

  /**
   * Hands {@code next} to the inference thread. On success the outgoing model keeps its live batch
   * timings and idle session (it becomes {@code previous}, unless this is a rollback, when it is
   * closed: a rollback goes further back, never forth), the state file is written, the drift
   * baseline restarts.
   *
   * @return null, or why the switch did not happen
   */
  private String switchTo(Loaded next, InferenceSession session, boolean rollback) {
    long[] outgoing = new long[timing.maxBatch() + 1];
    for (int n = 1; n <= timing.maxBatch(); n++) {
      outgoing[n] = timing.predictNs(n);
    }
    ModelSwitch.Switched sw;
    try {
      sw =
          models.switchTo(
              new ModelSwitch.Offer(next.backend, session, next.timings), config.switchTimeoutMs());
    } catch (TimeoutException e) {
      return e.getMessage() + " (is the line stopped?); " + servedId() + " stays";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted; " + servedId() + " stays";
    }
    Loaded out = served;
    out.timings = outgoing;
    out.idleSession = sw.previousSession();
    if (previous != null) {
      previous.close();
      previous = null;
    }
    if (rollback) {
      out.close();
      state = state.rollBackTo(next.entry);
    } else {
      previous = out;
      state = state.serve(next.entry);
    }
    served = next;
    switches.incrementAndGet();
    if (drift != null) {
      drift.rebaseline();
    }
    LOG.log(
        Level.INFO,
        "models: {0} -> {1} after {2} batch(es) of {0}",
        sw.from() == null ? "none" : sw.from().id(),
        sw.to().id(),
        String.valueOf(sw.batchesBefore()));
    try {
      state.save(stateFile);
    } catch (IOException e) {
      LOG.log(
          Level.ERROR,
          "models: "
              + next.entry.id()
              + " is served but "
              + stateFile
              + " could not be written ("
              + e.getMessage()
              + "): a restart would serve the version recorded before");
    }
    return null;
  }

  private long[] warmUp(InferenceSession session, InferenceBackend backend) throws Exception {
    int floats = backend.inputFloats();
    if (floats <= 0) {
      return null;
    }
    return WarmUp.measure(session, timing.maxBatch(), floats, NanoClock.SYSTEM, pacer);
  }

  /** Why {@code candidate} cannot replace the served model without a restart, or null. */
  private String incompatibility(InferenceBackend candidate) {
    InferenceBackend current = served.backend;
    if (candidate.maxBatch() < timing.maxBatch()) {
      return candidate.model().id()
          + " takes batches of at most "
          + candidate.maxBatch()
          + ", the line forms batches of "
          + timing.maxBatch();
    }
    Object want = inputSpec(current);
    Object got = inputSpec(candidate);
    if (!want.equals(got)) {
      return candidate.model().id()
          + " needs other preprocessing ("
          + got
          + ") than the served "
          + servedId()
          + " ("
          + want
          + "): frames already in the line are prepared for the served model. Serve it with a"
          + " restart (inference.djl.manifest), or try it in shadow mode first";
    }
    return null;
  }

  private static Object inputSpec(InferenceBackend b) {
    return b instanceof DjlBackend d ? d.manifest().input() : "input floats " + b.inputFloats();
  }

  private Consumer<String> progress(List<String> steps) {
    return s -> {
      step = s;
      steps.add(s);
      LOG.log(Level.INFO, "models: " + s);
    };
  }

  /**
   * {@code name@version} from the registry, checked without loading (manifest, SHA-256, directory
   * names).
   *
   * @throws ModelException naming what is wrong
   */
  private ModelRegistry.Version servable(String name, String version) {
    ModelRegistry.Version v =
        ModelRegistry.inspect(name, version, registry.manifest(name, version));
    if (v.problem() != null) {
      throw new ModelException(v.problem());
    }
    return v;
  }

  private Result notDjl(List<String> steps) {
    return result(
        Outcome.FAILED,
        "inference.backend is not djl: models from the registry cannot be served",
        steps,
        null);
  }

  private Result invalid(String message, List<String> steps) {
    refusals.incrementAndGet();
    return result(Outcome.INVALID, message + "; " + servedId() + " stays", steps, null);
  }

  private Result busyResult() {
    return new Result(
        Outcome.BUSY,
        "another model operation is running (" + step + "); try again when it is done",
        servedId(),
        List.of(),
        null);
  }

  private Result result(Outcome outcome, String message, List<String> steps, GateReport gate) {
    Result r = new Result(outcome, message, servedId(), List.copyOf(steps), gate);
    last = r;
    LOG.log(
        outcome.httpStatus == 200 ? Level.INFO : Level.WARNING,
        "models: " + outcome + ": " + message);
    return r;
  }

  private String servedId() {
    ModelInfo m = models.model();
    return m == null ? "no model" : m.id();
  }

  private static String describe(long[] ns) {
    return ns == null ? "not measured" : WarmUp.describe(ns);
  }

  static String describe(GateReport r) {
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

  /** What is served, what can be rolled back to, the last operation; for status and metrics. */
  Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    ModelInfo info = models.model();
    ModelState s = state;
    ModelState.Entry e = served.entry;
    Map<String, Object> sv = new LinkedHashMap<>();
    sv.put("id", info == null ? null : info.id());
    sv.put("sha256", info == null ? null : info.sha256());
    sv.put("threshold", info == null ? null : info.threshold());
    sv.put("since", e == null ? null : e.since());
    sv.put("how", e == null ? null : e.how());
    m.put("served", sv);
    m.put("rollbackTo", s.history().isEmpty() ? null : s.history().get(0).id());
    m.put("history", s.history().stream().map(ModelState.Entry::id).toList());
    ShadowRunner sh = shadow;
    if (sh != null) {
      Map<String, Object> shm = new LinkedHashMap<>();
      shm.put("candidate", sh.candidate().id());
      shm.put("stats", sh.stats());
      m.put("shadow", shm);
    } else {
      m.put("shadow", null);
    }
    m.put("operation", step);
    m.put("switches", switches.get());
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

  /**
   * Starts {@code name@version} as the shadow model: it judges a sample of the live frames on spare
   * capacity, and its disagreements with the live verdicts are recorded in {@code
   * <models.shadow.dir>/<name>@<version>/}. It never changes a verdict. A shadow model already
   * running is stopped first. Its preprocessing may differ from the served model's.
   */
  Result startShadow(String name, String version) {
    return exclusive(() -> withServable(name, version, this::doStartShadow));
  }

  private Result doStartShadow(
      ModelRegistry.Version v, List<String> steps, Consumer<String> progress) {
    Path manifest = v.manifest();
    if (shadow != null) {
      progress.accept(
          "stopping the shadow model " + shadow.candidate().id() + ": " + stopShadowLocked());
    }
    progress.accept("loading " + v.id() + " from " + manifest);
    InferenceBackend candidate;
    try {
      candidate = loader.apply(manifest);
    } catch (RuntimeException e) {
      return invalid(e.getMessage(), steps);
    }
    Path dir = shadowRoot.resolve(v.id());
    try {
      shadow = new ShadowRunner(config.shadow(), dir, candidate, lineIdle, config.besideThreads());
    } catch (IOException | RuntimeException e) {
      candidate.close();
      return invalid(v.id() + " cannot run as shadow model: " + e.getMessage(), steps);
    }
    shadowBackend = candidate;
    shadowTap.target = shadow;
    return result(
        Outcome.DONE,
        v.id()
            + " runs in shadow of "
            + servedId()
            + " on every "
            + config.shadow().sampleEvery()
            + "th frame it judges (by frame number); disagreements go to "
            + dir,
        steps,
        null);
  }

  /** Stops the shadow model; the result's message has its final counts. */
  Result stopShadow() {
    if (!busy.tryLock()) {
      return busyResult();
    }
    try {
      if (shadow == null) {
        return result(Outcome.FAILED, "no shadow model runs", List.of(), null);
      }
      String id = shadow.candidate().id();
      String counts = stopShadowLocked();
      return result(Outcome.DONE, "shadow model " + id + " stopped: " + counts, List.of(), null);
    } finally {
      busy.unlock();
    }
  }

  private String stopShadowLocked() {
    shadowTap.target = null;
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

  /** The shadow model running now, or null. */
  ShadowRunner shadow() {
    return shadow;
  }

  /** Every version in the registry, with whether it could be served and what it is now. */
  List<Map<String, Object>> registryListing() throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    ModelInfo servedNow = models.model();
    ModelState s = state;
    for (ModelRegistry.Version v : registry.list()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", v.id());
      m.put("sha256", v.sha256());
      m.put("threshold", v.threshold());
      boolean isServed =
          servedNow != null
              && servedNow.id().equals(v.id())
              && servedNow.sha256().equalsIgnoreCase(String.valueOf(v.sha256()));
      boolean isRollback = !s.history().isEmpty() && s.history().get(0).id().equals(v.id());
      m.put("role", isServed ? "served" : isRollback ? "rollback" : "");
      m.put("problem", v.problem());
      out.add(m);
    }
    return out;
  }

  long switches() {
    return switches.get();
  }

  long refusals() {
    return refusals.get();
  }

  /**
   * A running operation stops at its next step (one inference call at most) and fails; the served
   * model stays. Called first when the service stops, so that a candidate's work does not compete
   * with the drain.
   */
  void stopping() {
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
      if (shadow != null) {
        stopShadowLocked();
      }
      if (previous != null) {
        previous.close();
      }
      served.backend.close();
    } finally {
      busy.unlock();
    }
  }
}
