package io.lineinspect.app.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import org.junit.jupiter.api.Test;

/**
 * The {@code dashboard} section through the loader: defaults, and every mistake named by its key.
 */
class DashboardConfigTest {
  private static final String LINE =
      "line: {name: line-7, budgetMs: 50}\ninference: {backend: builtin}\n";

  private static ServiceConfig load(String section) {
    return ConfigLoader.parse(LINE + section, "x.yaml");
  }

  private static String error(String section) {
    return assertThrows(ConfigException.class, () -> load(section)).getMessage();
  }

  @Test
  void anAbsentSectionServesTheDashboardWithItsDefaults() {
    DashboardConfig d = DashboardConfig.of(load(""));
    assertTrue(d.enabled());
    assertEquals("var/labels", d.labelsDir());
    assertEquals(12, d.filmstrip());
    assertEquals(500, d.snapshotMs());
    assertEquals(4, d.maxClients());
    assertEquals(300, d.writeIdleSeconds());
  }

  @Test
  void everyKeyBinds() {
    DashboardConfig d =
        DashboardConfig.of(
            load(
                "dashboard: {enabled: false, labelsDir: /l, filmstrip: 20, snapshotMs: 1000,"
                    + " maxClients: 2, writeIdleSeconds: 60}\n"));
    assertEquals(new DashboardConfig(false, "/l", 20, 1000, 2, 60), d);
  }

  @Test
  void aWrongKeyOrValueIsAnErrorNamingIt() {
    String m = error("dashboard: {filmstip: 3}\n");
    assertTrue(m.startsWith("x.yaml: dashboard.filmstip: unknown key"), m);
    assertTrue(m.contains("filmstrip"), m);
    assertTrue(
        error("dashboard: {maxClients: 9}\n")
            .contains("dashboard.maxClients: must be 1..8, got 9"));
    assertTrue(
        error("dashboard: {snapshotMs: 50}\n")
            .contains("dashboard.snapshotMs: must be 200..10000"));
    assertTrue(
        error("dashboard: {filmstrip: 0}\n").contains("dashboard.filmstrip: must be 1..100"));
    assertTrue(error("dashboard: {writeIdleSeconds: 5}\n").contains("dashboard.writeIdleSeconds"));
  }
}
