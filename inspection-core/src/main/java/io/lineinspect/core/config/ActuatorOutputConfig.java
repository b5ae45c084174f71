package io.lineinspect.core.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One actuator output, chosen by {@code type}: {@code modbus}, {@code tcp-line} or {@code log}.
 * Implementations live in {@code camera-adapters} ({@code io.lineinspect.actuator}); the core only
 * holds their settings.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ModbusOutputConfig.class, name = "modbus"),
  @JsonSubTypes.Type(value = TcpLineOutputConfig.class, name = "tcp-line"),
  @JsonSubTypes.Type(value = LogOutputConfig.class, name = "log")
})
public sealed interface ActuatorOutputConfig
    permits ModbusOutputConfig, TcpLineOutputConfig, LogOutputConfig {
  /** Unique name of the output, used in logs and metrics. */
  String name();
}
