package io.lineinspect.core.config;

import java.util.Map;

/**
 * Owns {@code inference.djl} with {@link TestSection} and concludes on the assembled tree (it
 * refuses a line named {@code refused}), handed to the loader directly in the core's tests.
 */
public final class TestSectionModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(InferenceConfig.DJL, TestSection.class);
  }

  @Override
  public void conclude(ServiceConfig config) {
    if (config.line().name().equals("refused")) {
      throw new ConfigException("line.name: 'refused' is refused by the test module");
    }
  }
}
