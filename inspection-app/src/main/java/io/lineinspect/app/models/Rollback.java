package io.lineinspect.app.models;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.inference.djl.ModelException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * One-step rollback: serves the version served before the current one again, at once when it is
 * still loaded (its warmed session waits), else loaded from the registry and warmed up first. No
 * golden-set gate: it was served before. Its file must still be the one that was served (same
 * SHA-256). Runs on the {@code model-lifecycle} thread.
 */
public final class Rollback {
  private final Candidates candidates;
  private final ServedModels served;

  public Rollback(Candidates candidates, ServedModels served) {
    this.candidates = candidates;
    this.served = served;
  }

  /** Serves the front of the history from the next batch on. */
  public Ending rollback(Consumer<String> progress) {
    ModelState s = served.state();
    if (s.history().isEmpty()) {
      return Ending.failed(
          "nothing to roll back to: no version was served before " + served.servedId());
    }
    ModelState.Entry target = s.history().get(0);
    LoadedModel next = served.takeWarmPrevious(target);
    InferenceSession session;
    boolean loadedHere = false;
    if (next != null) {
      session = next.idleSession;
      next.idleSession = null;
      progress.accept(target.id() + " is still loaded and warm");
    } else {
      if (!candidates.available()) {
        return Candidates.notRegistryModels();
      }
      ModelRegistry.Version v;
      try {
        v = candidates.servable(target.name(), target.version());
      } catch (ModelException e) {
        return Ending.invalid(e.getMessage());
      }
      Path manifest = v.manifest();
      if (!target.sha256().equalsIgnoreCase(v.sha256())) {
        return Ending.invalid(
            manifest
                + " now describes another file (SHA-256 "
                + v.sha256()
                + ") than the one served before ("
                + target.sha256()
                + "); refusing to roll back to a model that was never served");
      }
      progress.accept("loading " + target.id() + " from " + manifest);
      InferenceBackend backend;
      try {
        backend = candidates.load(manifest);
      } catch (RuntimeException e) {
        return Ending.invalid(e.getMessage());
      }
      String incompatible = candidates.incompatibility(backend);
      if (incompatible != null) {
        backend.close();
        return Ending.invalid(incompatible);
      }
      try {
        session = backend.newSession();
        progress.accept("warming up " + target.id());
        next = new LoadedModel(backend, target, candidates.warmUp(session, backend));
      } catch (Exception | LinkageError e) {
        backend.close();
        if (e instanceof CancellationException c) {
          throw c;
        }
        return Ending.invalid(target.id() + " fails during warm-up: " + e);
      }
      loadedHere = true;
    }
    ModelState.Entry entry =
        new ModelState.Entry(
            target.name(), target.version(), target.sha256(), ServedModels.now(), "rollback");
    LoadedModel withEntry = new LoadedModel(next.backend, entry, next.timings);
    progress.accept("switching between two batches");
    String error = served.switchTo(withEntry, session, true);
    if (error != null) {
      if (loadedHere) {
        session.close();
        next.backend.close();
      } else {
        // Taken from the warm slot: it goes back there, so the next rollback is still a switch
        // of milliseconds (and the backend is closed with the others, not leaked).
        next.idleSession = session;
        served.keepWarmPrevious(next);
      }
      return Ending.failed(error);
    }
    return Ending.of(
        Outcome.ACTIVATED, "rolled back: " + entry.id() + " serves from the next batch on");
  }
}
