package io.lineinspect.camera.actuator;

import io.lineinspect.core.config.ActuatorOutputConfig;
import io.lineinspect.core.config.ConfigModule;
import java.util.Map;

/**
 * This module's actuator output types for {@code actuators.outputs[].type}: {@code modbus}, {@code
 * tcp-line} and {@code log} (registered in {@code META-INF/services}).
 */
public final class ActuatorConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<? extends ActuatorOutputConfig>> actuatorOutputs() {
    return Map.of(
        "modbus", ModbusOutputConfig.class,
        "tcp-line", TcpLineOutputConfig.class,
        "log", LogOutputConfig.class);
  }
}
