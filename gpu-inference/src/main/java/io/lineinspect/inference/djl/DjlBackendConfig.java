package io.lineinspect.inference.djl;

import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.InferenceConfig;

/**
 * The DJL / PyTorch backend's section, {@code inference.djl}: owned by this module, contributed to
 * the loader by {@link DjlConfigModule}; the core holds it as an opaque {@link
 * io.lineinspect.core.config.ModuleSection}.
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

  /**
   * This backend's settings in {@code inference}: as loaded, or the defaults when a configuration
   * assembled in code leaves the section out.
   */
  public static DjlBackendConfig of(InferenceConfig inference) {
    DjlBackendConfig c = inference.djl().as(DjlBackendConfig.class);
    return c == null ? defaults() : c;
  }

  /** The same settings serving another manifest. */
  public DjlBackendConfig withManifest(String other) {
    return new DjlBackendConfig(other, device, maxBatch, threads);
  }
}
