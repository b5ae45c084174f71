package io.lineinspect.core.config;

/**
 * The DJL / PyTorch backend (module {@code gpu-inference}).
 *
 * @param manifest path of the model's manifest YAML (beside its {@code .pt}); relative paths are
 *     resolved against the install directory (default {@code models/demo-defects/1/manifest.yaml})
 * @param device {@code auto} (CUDA when a GPU is visible, else CPU), {@code cpu} or {@code gpu}
 * @param maxBatch largest batch the backend accepts (default 16)
 * @param threads PyTorch intra-op threads; 0 = one per core (default 0)
 */
public record DjlBackendConfig(String manifest, String device, Integer maxBatch, Integer threads) {
  public DjlBackendConfig {
    manifest =
        Check.text("inference.djl.manifest", manifest, "models/demo-defects/1/manifest.yaml");
    device = Check.oneOf("inference.djl.device", device, "auto", "auto", "cpu", "gpu");
    maxBatch = Check.intIn("inference.djl.maxBatch", maxBatch, 16, 1, 1024);
    threads = Check.intIn("inference.djl.threads", threads, 0, 0, 256);
  }

  public static DjlBackendConfig defaults() {
    return new DjlBackendConfig(null, null, null, null);
  }
}
