package io.lineinspect.inference.djl;

import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.InferenceConfig;
import java.util.Map;

/**
 * This module's part of the line configuration: the {@code inference.djl} section, bound to {@link
 * DjlBackendConfig} (registered in {@code META-INF/services}). Without this module on the class
 * path, {@code inference.backend: djl} and an {@code inference.djl} section are refused.
 */
public final class DjlConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(InferenceConfig.DJL, DjlBackendConfig.class);
  }
}
