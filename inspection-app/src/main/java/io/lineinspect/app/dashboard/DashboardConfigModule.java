package io.lineinspect.app.dashboard;

import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;

/**
 * This module's part of the line configuration: the {@code dashboard} section, bound to {@link
 * DashboardConfig} (registered in {@code META-INF/services}).
 */
public final class DashboardConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(ServiceConfig.DASHBOARD, DashboardConfig.class);
  }
}
