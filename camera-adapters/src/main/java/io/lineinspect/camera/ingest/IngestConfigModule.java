package io.lineinspect.camera.ingest;

import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.ServiceConfig;

/**
 * This module's checks on the {@code ingest} section, which the core holds: {@code
 * ingest.transport} names one of this module's {@link IngestTransport}s (registered in {@code
 * META-INF/services}).
 */
public final class IngestConfigModule implements ConfigModule {
  @Override
  public void conclude(ServiceConfig config) {
    IngestTransport.of(config.ingest().transport());
  }
}
