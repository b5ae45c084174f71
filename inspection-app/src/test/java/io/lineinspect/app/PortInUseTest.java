package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A camera port that is already in use is a configuration error found before the warm-up: the real
 * service process exits with status 2 naming {@code ingest.port}, as for the admin port.
 */
class PortInUseTest {
  @Test
  void shouldExitWithAConfigurationErrorNamingIngestPortBeforeTheWarmUp(@TempDir Path dir)
      throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      Path config = dir.resolve("line.yaml");
      Files.writeString(
          config,
          """
          line: {name: port-in-use, budgetMs: 50}
          ingest: {host: 127.0.0.1, port: %d, maxMessageBytes: 1048576}
          inference: {backend: builtin}
          admin: {enabled: false}
          audit: {enabled: false}
          archive: {enabled: false}
          warmup: {formats: [MONO8], maxMs: 30000}
          """
              .formatted(taken.getLocalPort()));
      ServiceProcess.Exit exit = ServiceProcess.run(config, 60);
      assertEquals(2, exit.status(), exit.output());
      assertTrue(
          exit.output().contains("configuration error: ingest.port: cannot listen for cameras on"),
          exit.output());
      assertFalse(exit.output().contains("warm-up done"), "refused before the warm-up");
    }
  }
}
