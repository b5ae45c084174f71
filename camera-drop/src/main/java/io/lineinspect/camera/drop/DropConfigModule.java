package io.lineinspect.camera.drop;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;

/**
 * This module's part of the line configuration: the {@code drop} section, bound to {@link
 * DropConfig} (registered in {@code META-INF/services}). Without this module on the class path a
 * {@code drop} section is refused.
 */
public final class DropConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(ServiceConfig.DROP, DropConfig.class);
  }

  @Override
  public void conclude(ServiceConfig config) {
    DropConfig d = DropConfig.of(config);
    if (!d.enabled()) {
      return;
    }
    if (config.ingest().cameras() != null) {
      for (String id : d.cameras().keySet()) {
        if (config.ingest().cameras().containsKey(id)) {
          throw new ConfigException(
              "drop.cameras."
                  + id
                  + ": also in ingest.cameras; a camera id is either a protocol v1 connection or"
                  + " a drop, not both (its sequence numbers would collide)");
        }
      }
    }
  }
}
