package io.lineinspect.core.config;

/**
 * Which model runtime judges the frames.
 *
 * @param backend required: {@code djl} (a TorchScript model on DJL / PyTorch, module {@code
 *     gpu-inference}) or {@code builtin} (a model-free contrast heuristic for tests — never a
 *     silent default: a line that leaves the backend out would be judged by a heuristic that passes
 *     lens caps)
 * @param builtin settings of the builtin backend
 * @param djl settings of the DJL backend
 */
public record InferenceConfig(String backend, BuiltinBackendConfig builtin, DjlBackendConfig djl) {
  public InferenceConfig {
    if (backend == null) {
      throw new ConfigException(
          "inference.backend: required: djl (a trained TorchScript model, inference.djl.manifest)"
              + " or builtin (a test heuristic, not a trained model)");
    }
    backend = Check.oneOf("inference.backend", backend, null, "builtin", "djl");
    builtin = builtin == null ? BuiltinBackendConfig.defaults() : builtin;
    djl = djl == null ? DjlBackendConfig.defaults() : djl;
  }

  /** The builtin test backend with its defaults (tests and benchmarks that build configs). */
  public static InferenceConfig builtinForTests() {
    return new InferenceConfig("builtin", null, null);
  }
}
