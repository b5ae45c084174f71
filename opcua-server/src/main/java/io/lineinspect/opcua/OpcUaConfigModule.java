package io.lineinspect.opcua;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;

/**
 * This module's part of the line configuration: the {@code opcua} section, bound to {@link
 * OpcUaConfig} (registered in {@code META-INF/services}). Without this module on the class path an
 * {@code opcua} section is refused.
 */
public final class OpcUaConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(ServiceConfig.OPCUA, OpcUaConfig.class);
  }

  @Override
  public void conclude(ServiceConfig config) {
    OpcUaConfig c = OpcUaConfig.of(config);
    if (c.enabled() && !config.audit().enabled()) {
      throw new ConfigException(
          "opcua.enabled: the OPC UA server reads the results from the audit chain (ResultId is"
              + " the audit record number); it needs audit.enabled: true");
    }
    if (c.enabled()
        && config.admin().enabled()
        && c.port() != 0
        && c.port().equals(config.admin().port())) {
      throw new ConfigException(
          "opcua.port: " + c.port() + " is admin.port already; give the OPC UA server its own");
    }
  }
}
