package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.time.NanoClock;
import org.junit.jupiter.api.Test;

/**
 * {@code ingest.transport}: the core passes it through, this module checks it when the
 * configuration is loaded ({@link IngestConfigModule}) and when a server is assembled in code.
 */
class IngestTransportTest {
  private static final String MINIMAL =
      "line:\n  name: l1\n  budgetMs: 40\ninference:\n  backend: builtin\n";

  @Test
  void shouldDefaultToAutoAndAcceptEveryTransport() {
    assertEquals("auto", ConfigLoader.parse(MINIMAL, "test.yaml").ingest().transport());
    for (String t : new String[] {"auto", "epoll", "nio"}) {
      String yaml = MINIMAL + "ingest:\n  transport: " + t + "\n";
      assertEquals(t, ConfigLoader.parse(yaml, "test.yaml").ingest().transport());
      assertEquals(
          IngestTransport.valueOf(t.toUpperCase(java.util.Locale.ROOT)), IngestTransport.of(t));
    }
  }

  @Test
  void shouldNameTheKeyAndTheAllowedTransportsOfABadOne() {
    String yaml = MINIMAL + "ingest:\n  transport: udp\n";
    assertEquals(
        "test.yaml: ingest.transport: must be one of auto, epoll, nio, got 'udp'",
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml"))
            .getMessage());
    IngestConfig inCode = new IngestConfig("127.0.0.1", 0, 1 << 20, 10_000, 1, "udp", null);
    assertEquals(
        "ingest.transport: must be one of auto, epoll, nio, got 'udp'",
        assertThrows(
                ConfigException.class,
                () ->
                    new CameraServer(
                        inCode, new LineConfig("l1", 40, Verdict.FAIL), null, NanoClock.SYSTEM))
            .getMessage());
  }
}
