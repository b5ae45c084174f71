package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.inference.djl.DjlBackendConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The shipped configurations load with every module on the class path, as the service assembles
 * them: the demo line needs the actuator outputs of {@code camera-adapters} and the {@code
 * inference.djl} section of {@code gpu-inference}.
 */
class ShippedConfigTest {
  @Test
  void shouldLoadTheShippedDemoConfig() {
    Path demo = Path.of("..", "configs", "demo-line.yaml");
    ServiceConfig c = ConfigLoader.load(demo);
    assertEquals("demo-line", c.line().name());
  }

  @Test
  void shouldBindTheDemoConfigsDjlSectionWithItsModule() {
    ServiceConfig c = DemoConfigs.load();
    assertEquals(
        new DjlBackendConfig("models/demo-defects/1/manifest.yaml", "auto", 8, 0),
        DjlBackendConfig.of(c.inference()));
    assertEquals("auto", c.ingest().transport());
  }
}
