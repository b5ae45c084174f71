package io.lineinspect.core.config;

import java.util.Map;

/**
 * A module's own part of the line configuration, found by {@link java.util.ServiceLoader} (a {@code
 * META-INF/services/io.lineinspect.core.config.ConfigModule} file in the module's jar): adding an
 * actuator output type, a backend's settings or a check on a value only a module understands
 * touches only that module. {@link ConfigLoader} assembles the tree from every module on the class
 * path and validates it as a whole, in the spirit of Aeron's {@code
 * MediaDriver.Context.conclude()}: each record validates itself while it is bound, then every
 * module {@linkplain #conclude concludes} on the whole tree.
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

  /**
   * The configuration sections this module owns, by dotted key (for example {@code inference.djl}),
   * each with the record that binds it: a Jackson-bound record that validates itself in its
   * constructor, naming its keys by their full path ({@code inference.djl.device: …}). An unknown
   * key is refused naming its full path. A section left out is bound from an empty one, so the
   * record's defaults apply. The key must be a {@link ModuleSection} slot of the core's tree.
   */
  default Map<String, Class<?>> sections() {
    return Map.of();
  }

  /**
   * Checks what this module knows about the assembled, bound tree (for example a value the core
   * passes through without understanding it), once, after every record has validated itself.
   *
   * @throws ConfigException naming the dotted key of what is wrong
   */
  default void conclude(ServiceConfig config) {}
}
