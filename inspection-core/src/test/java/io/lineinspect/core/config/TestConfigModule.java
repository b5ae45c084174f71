package io.lineinspect.core.config;

import java.util.Map;

/** Contributes {@code type: test-output} to the core's tests, handed to the loader directly. */
public final class TestConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<? extends ActuatorOutputConfig>> actuatorOutputs() {
    return Map.of("test-output", TestOutputConfig.class);
  }
}
