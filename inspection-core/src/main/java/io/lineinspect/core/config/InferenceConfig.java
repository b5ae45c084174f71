package io.lineinspect.core.config;

/**
 * Which model runtime judges the frames.
 *
 * @param backend required: {@code djl} (a TorchScript model on DJL / PyTorch, module {@code
 *     gpu-inference}) or {@code builtin} (a model-free contrast heuristic for tests — never a
 *     silent default: a line that leaves the backend out would be judged by a heuristic that passes
 *     lens caps)
 * @param builtin settings of the builtin backend
 * @param djl settings of the DJL backend: a section module {@code gpu-inference} owns and binds
 *     (its {@code DjlBackendConfig}); the core holds it without knowing its keys
 */
public record InferenceConfig(
    String backend,
    BuiltinBackendConfig builtin,
    @ModuleSection.Key(InferenceConfig.DJL) ModuleSection djl) {
  /** The key of the DJL backend's section, owned by module {@code gpu-inference}. */
  public static final String DJL = "inference.djl";

  public InferenceConfig {
    if (backend == null) {
      throw new ConfigException(
          "inference.backend: required: djl (a trained TorchScript model, inference.djl.manifest)"
              + " or builtin (a test heuristic, not a trained model)");
    }
    backend = Check.oneOf("inference.backend", backend, null, "builtin", "djl");
    builtin = builtin == null ? BuiltinBackendConfig.defaults() : builtin;
    djl = djl == null ? ModuleSection.absent(DJL) : djl;
    if (backend.equals("djl") && !djl.hasModule()) {
      throw new ConfigException(
          "inference.backend: djl needs module gpu-inference (DJL / PyTorch, it reads "
              + DJL
              + "), which is not on the class path: add it, or use backend builtin");
    }
    djl.refuseIfGivenWithoutModule("gpu-inference");
  }

  /** The builtin test backend with its defaults (tests and benchmarks that build configs). */
  public static InferenceConfig builtinForTests() {
    return new InferenceConfig("builtin", null, null);
  }
}
