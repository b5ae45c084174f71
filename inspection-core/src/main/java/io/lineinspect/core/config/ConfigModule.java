package io.lineinspect.core.config;

import java.util.Map;

/**
 * A module's own part of the line configuration, found by {@link java.util.ServiceLoader} (a {@code
 * META-INF/services/io.lineinspect.core.config.ConfigModule} file in the module's jar): adding an
 * actuator output type touches only the module that implements it. {@link ConfigLoader} assembles
 * the tree from every module on the class path and validates it as a whole.
 */
public interface ConfigModule {
  /**
   * The {@code actuators.outputs[].type} names this module implements, each with its settings
   * record (a Jackson-bound record implementing {@link ActuatorOutputConfig} that validates itself
   * in its constructor, naming keys relative to the output).
   */
  default Map<String, Class<? extends ActuatorOutputConfig>> actuatorOutputs() {
    return Map.of();
  }
}
