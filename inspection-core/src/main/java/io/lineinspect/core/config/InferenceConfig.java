package io.lineinspect.core.config;

/**
 * Which model runtime judges the frames.
 *
 * @param backend {@code djl} (a TorchScript model on DJL / PyTorch, module {@code gpu-inference})
 *     or {@code builtin} (a model-free heuristic, for tests and runs without a model)
 * @param builtin settings of the builtin backend
 * @param djl settings of the DJL backend
 */
public record InferenceConfig(String backend, BuiltinBackendConfig builtin, DjlBackendConfig djl) {
  public InferenceConfig {
    backend = Check.oneOf("inference.backend", backend, "builtin", "builtin", "djl");
    builtin = builtin == null ? BuiltinBackendConfig.defaults() : builtin;
    djl = djl == null ? DjlBackendConfig.defaults() : djl;
  }

  public static InferenceConfig defaults() {
    return new InferenceConfig(null, null, null);
  }
}
