package io.lineinspect.opcua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code opcua} section through the loader: defaults, and every mistake named by its key. */
class OpcUaConfigTest {
  private static final String LINE =
      "line: {name: line-7, budgetMs: 50}\ninference: {backend: builtin}\n";

  private static OpcUaConfig load(String opcua) {
    return OpcUaConfig.of(ConfigLoader.parse(LINE + opcua, "x.yaml"));
  }

  private static String error(String opcua) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(LINE + opcua, "x.yaml"))
        .getMessage();
  }

  @Test
  void anAbsentSectionIsOffOnLoopbackWithSecurityAndTwoUsers() {
    OpcUaConfig c = load("");
    assertFalse(c.enabled());
    assertEquals("127.0.0.1", c.host());
    assertEquals(4840, c.port());
    assertEquals("/lineinspect", c.path());
    assertEquals("Basic256Sha256", c.securityPolicy());
    assertEquals("var/opcua", c.dir());
    assertEquals(List.of("engineer", "operator"), List.copyOf(c.users().keySet()));
    assertTrue(c.users().get("engineer").engineer());
    assertFalse(c.users().get("operator").engineer());
    assertEquals("var/opcua/operator.password", c.users().get("operator").passwordFile());
    assertEquals("all", c.events());
    assertEquals(200, c.maxEventsPerSecond());
    assertEquals(1000, c.recentResults());
    assertEquals(8192, c.queueSize());
    assertEquals(100, c.updateIntervalMs());
  }

  @Test
  void anEnabledSectionBinds() {
    OpcUaConfig c =
        load(
            "opcua:\n  enabled: true\n  host: 0.0.0.0\n  port: 4841\n  securityPolicy: None\n"
                + "  events: failures\n  maxEventsPerSecond: 50\n"
                + "  users:\n    plc: {role: operator, passwordFile: etc/plc.password}\n"
                + "    alice: {role: engineer, passwordFile: etc/alice.password}\n");
    assertTrue(c.enabled());
    assertEquals("None", c.securityPolicy());
    assertEquals("failures", c.events());
    assertEquals(List.of("alice", "plc"), List.copyOf(c.users().keySet()));
    assertTrue(c.users().get("alice").engineer());
  }

  @Test
  void mistakesAreErrorsNamingTheirKeys() {
    String m = error("opcua: {enabled: true, prot: 4840}\n");
    assertTrue(m.startsWith("x.yaml: opcua.prot: unknown key"), m);
    assertTrue(error("opcua: {securityPolicy: Basic128Rsa15}\n").contains("opcua.securityPolicy"));
    assertTrue(error("opcua: {events: some}\n").contains("opcua.events: must be one of"));
    assertTrue(error("opcua: {port: 70000}\n").contains("opcua.port"));
    assertTrue(error("opcua: {path: lineinspect}\n").contains("opcua.path: must start with /"));
    assertTrue(error("opcua: {queueSize: 1000}\n").contains("opcua.queueSize: must be a power"));
    assertTrue(
        error("opcua: {users: {bob: {role: admin, passwordFile: x}}}\n")
            .contains("opcua.users.bob.role: must be one of"));
    assertTrue(
        error("opcua: {users: {bob: {role: operator}}}\n")
            .contains("opcua.users.bob.passwordFile: required"));
    assertTrue(
        error("opcua: {users: {bob: {role: operator, passwordFile: x, pasword: y}}}\n")
            .contains("pasword"));
    assertTrue(error("opcua: {users: {}}\n").contains("opcua.users: at least one user"));
    assertTrue(
        error("opcua: {enabled: true}\naudit: {enabled: false}\n")
            .contains("opcua.enabled: the OPC UA server reads the results from the audit chain"));
    assertTrue(
        error("opcua: {enabled: true, port: 7601}\n").contains("opcua.port: 7601 is admin.port"));
  }

  @Test
  void theServiceConfigKeepsTheSectionThroughItsWithers() {
    ServiceConfig c = ConfigLoader.parse(LINE + "opcua: {enabled: true, port: 4999}\n", "x.yaml");
    ServiceConfig other = c.withWarmup(c.warmup()).withMetrics(c.metrics());
    assertEquals(4999, OpcUaConfig.of(other).port());
  }
}
