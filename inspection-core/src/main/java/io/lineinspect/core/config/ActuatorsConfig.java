package io.lineinspect.core.config;

import java.util.List;

/**
 * Where rejects go: the reject timing shared by every output, and the outputs themselves (a Modbus
 * TCP PLC, a TCP signal line, a log for dry runs — one or several). No outputs (the default) means
 * verdicts go to the cameras only.
 *
 * @param timing when a reject fires, relative to the part's capture
 * @param outputs the actuator outputs, each with a {@code type}
 */
public record ActuatorsConfig(RejectTimingConfig timing, List<ActuatorOutputConfig> outputs) {
  public ActuatorsConfig {
    timing = timing == null ? RejectTimingConfig.defaults() : timing;
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < outputs.size(); i++) {
      ActuatorOutputConfig o = outputs.get(i);
      if (o == null) {
        throw new ConfigException("actuators.outputs[" + i + "]: empty entry");
      }
      if (!names.add(o.name())) {
        throw new ConfigException(
            "actuators.outputs["
                + i
                + "].name: '"
                + o.name()
                + "' is used twice; names must differ");
      }
    }
  }

  public static ActuatorsConfig defaults() {
    return new ActuatorsConfig(null, null);
  }
}
