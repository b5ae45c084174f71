package io.lineinspect.core.config;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One actuator output's settings, chosen by {@code type}. The types and their settings records
 * belong to the modules that implement them (for example {@code modbus}, {@code tcp-line} and
 * {@code log} in {@code camera-adapters}), which contribute them through {@link ConfigModule}; the
 * core only knows that an output has a name.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface ActuatorOutputConfig {
  /** Unique name of the output, used in logs and metrics. */
  String name();

  /** The camera ids this output's settings name (for example a slot map); none by default. */
  default java.util.Set<String> namedCameras() {
    return java.util.Set.of();
  }
}
