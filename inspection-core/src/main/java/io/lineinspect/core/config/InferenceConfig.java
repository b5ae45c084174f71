package io.lineinspect.core.config;

/**
 * Which model runtime judges the frames.
 *
 * @param backend {@code builtin} (the code-defined heuristic, for tests and the model-less demo)
 * @param builtin settings of the builtin backend
 */
public record InferenceConfig(String backend, BuiltinBackendConfig builtin) {
  public InferenceConfig {
    backend = Check.oneOf("inference.backend", backend, "builtin", "builtin");
    builtin = builtin == null ? BuiltinBackendConfig.defaults() : builtin;
  }

  public static InferenceConfig defaults() {
    return new InferenceConfig(null, null);
  }
}
