package io.lineinspect.app.models;

import io.lineinspect.core.batching.BatchTimingModel;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.metrics.DriftMonitor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The models this process serves and has served: the served one, the one served before (kept loaded
 * with its idle session, so a rollback is a switch of milliseconds), and the record of both in
 * {@code models.state}. The one place a switch is handed to the inference thread ({@link
 * ModelSwitch}).
 *
 * <p>Owns every backend it holds, closed on {@link #close()}. Used by one model operation at a time
 * (the lifecycle's lock); {@link #state()} and {@link #switches()} may be read from any thread.
 */
public final class ServedModels {
  private static final System.Logger LOG = System.getLogger(ServedModels.class.getName());

  private final Path stateFile;
  private final ModelSwitch models;
  private final BatchTimingModel timing;
  private final DriftMonitor drift;
  private final long switchTimeoutMs;
  private final AtomicLong switches = new AtomicLong();
  private volatile ModelState state;
  private LoadedModel served;
  private LoadedModel previous;

  /**
   * @param models the pipeline's model switch
   * @param timing the pipeline's batch timing model (the outgoing model keeps its live estimates)
   * @param initial the backend the service started with (owned from now on)
   * @param state what {@code models.state} said at start
   * @param drift restarts its baseline on every switch, or null
   */
  public ServedModels(
      Path stateFile,
      ModelSwitch models,
      BatchTimingModel timing,
      InferenceBackend initial,
      ModelState state,
      DriftMonitor drift,
      long switchTimeoutMs) {
    this.stateFile = stateFile;
    this.models = models;
    this.timing = timing;
    this.drift = drift;
    this.switchTimeoutMs = switchTimeoutMs;
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
    this.served = new LoadedModel(initial, entry, null);
  }

  static String now() {
    return Instant.now().toString();
  }

  /** What is served and was served before, as recorded (or about to be) in {@code models.state}. */
  public ModelState state() {
    return state;
  }

  /** The model judging now, or null. */
  public ModelInfo model() {
    return models.model();
  }

  /** {@code name@version} of the model judging now, or "no model". */
  public String servedId() {
    ModelInfo m = models.model();
    return m == null ? "no model" : m.id();
  }

  /** Models switched in (activations and rollbacks) since start. */
  public long switches() {
    return switches.get();
  }

  LoadedModel served() {
    return served;
  }

  LoadedModel previous() {
    return previous;
  }

  /** The largest batch the line forms. */
  int maxBatch() {
    return timing.maxBatch();
  }

  /**
   * The model served before, when it is {@code target} and still loaded with its warm session:
   * handed over (no longer held here) for a rollback; otherwise null.
   */
  LoadedModel takeWarmPrevious(ModelState.Entry target) {
    if (previous != null
        && previous.entry != null
        && previous.entry.id().equals(target.id())
        && previous.entry.sha256().equalsIgnoreCase(target.sha256())
        && previous.idleSession != null) {
      LoadedModel p = previous;
      previous = null;
      return p;
    }
    return null;
  }

  /**
   * Gives back a model {@link #takeWarmPrevious taken} for a rollback that did not switch. Held
   * again as the previous model (closed when another one already took its place).
   */
  void keepWarmPrevious(LoadedModel p) {
    if (previous == null) {
      previous = p;
    } else {
      p.close();
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
  String switchTo(LoadedModel next, InferenceSession session, boolean rollback) {
    long[] outgoing = new long[timing.maxBatch() + 1];
    for (int n = 1; n <= timing.maxBatch(); n++) {
      outgoing[n] = timing.predictNs(n);
    }
    ModelSwitch.Switched sw;
    try {
      sw =
          models.switchTo(
              new ModelSwitch.Offer(next.backend, session, next.timings), switchTimeoutMs);
    } catch (TimeoutException e) {
      return e.getMessage() + " (is the line stopped?); " + servedId() + " stays";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted; " + servedId() + " stays";
    }
    LoadedModel out = served;
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

  /** The served model (id, checksum, threshold, since when and how), and where a rollback goes. */
  public Map<String, Object> status() {
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
    return m;
  }

  /** Every version in {@code registry}, with whether it could be served and what it is now. */
  public List<Map<String, Object>> listing(ModelRegistry registry) throws IOException {
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

  /** Closes the model served before and the served one. Called after the pipeline has stopped. */
  public void close() {
    if (previous != null) {
      previous.close();
    }
    served.backend.close();
  }
}
