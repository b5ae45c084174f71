package io.lineinspect.app.models;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.WarmUp;
import io.lineinspect.core.time.NanoClock;
import io.lineinspect.inference.djl.ModelException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Finds, loads and checks a registry version before it may serve or shadow: the checks that need no
 * loading, the compatibility with the served model, the warm-up. Runs on the {@code
 * model-lifecycle} thread, paced by the lifecycle's {@link Pacer}.
 */
public final class Candidates {
  private final ModelRegistry registry;
  private final Function<Path, InferenceBackend> loader;
  private final ServedModels served;
  private final Pacer pacer;

  /**
   * @param loader loads and checks the model of a manifest (throws {@link ModelException} naming
   *     the problem), or null when the service does not run registry models (builtin backend)
   */
  public Candidates(
      ModelRegistry registry,
      Function<Path, InferenceBackend> loader,
      ServedModels served,
      Pacer pacer) {
    this.registry = registry;
    this.loader = loader;
    this.served = served;
    this.pacer = pacer;
  }

  /**
   * Runs {@code op} for {@code name@version} from the registry when the service serves registry
   * models and the version passes the checks that need no loading; otherwise the refusal.
   */
  public Ending withServable(
      String name, String version, Function<ModelRegistry.Version, Ending> op) {
    if (loader == null) {
      return notRegistryModels();
    }
    ModelRegistry.Version v;
    try {
      v = servable(name, version);
    } catch (ModelException e) {
      return Ending.invalid(e.getMessage());
    }
    return op.apply(v);
  }

  /** True when the service serves registry models (inference.backend djl). */
  boolean available() {
    return loader != null;
  }

  static Ending notRegistryModels() {
    return Ending.failed("inference.backend is not djl: models from the registry cannot be served");
  }

  /**
   * {@code name@version} from the registry, checked without loading (manifest, SHA-256, directory
   * names).
   *
   * @throws ModelException naming what is wrong
   */
  ModelRegistry.Version servable(String name, String version) {
    ModelRegistry.Version v =
        ModelRegistry.inspect(name, version, registry.manifest(name, version));
    if (v.problem() != null) {
      throw new ModelException(v.problem());
    }
    return v;
  }

  /** Loads the model of {@code manifest}; a {@link RuntimeException} names why it cannot. */
  InferenceBackend load(Path manifest) {
    return loader.apply(manifest);
  }

  /** Warms {@code session} up at every batch size; its timings, or null when not measurable. */
  long[] warmUp(InferenceSession session, InferenceBackend backend) throws Exception {
    int floats = backend.inputFloats();
    if (floats <= 0) {
      return null;
    }
    return WarmUp.measure(session, served.maxBatch(), floats, NanoClock.SYSTEM, pacer);
  }

  /** Why {@code candidate} cannot replace the served model without a restart, or null. */
  String incompatibility(InferenceBackend candidate) {
    InferenceBackend current = served.served().backend;
    if (candidate.maxBatch() < served.maxBatch()) {
      return candidate.model().id()
          + " takes batches of at most "
          + candidate.maxBatch()
          + ", the line forms batches of "
          + served.maxBatch();
    }
    String want = current.preprocessing();
    String got = candidate.preprocessing();
    if (!want.equals(got)) {
      return candidate.model().id()
          + " needs other preprocessing ("
          + got
          + ") than the served "
          + served.servedId()
          + " ("
          + want
          + "): frames already in the line are prepared for the served model. Serve it with a"
          + " restart (inference.djl.manifest), or try it in shadow mode first";
    }
    return null;
  }

  /** Warm-up timings as text ("not measured" when there are none). */
  static String describe(long[] ns) {
    return ns == null ? "not measured" : WarmUp.describe(ns);
  }
}
