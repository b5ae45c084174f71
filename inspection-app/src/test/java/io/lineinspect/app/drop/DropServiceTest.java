package io.lineinspect.app.drop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.InspectionService;
import io.lineinspect.app.admin.ServiceMetrics;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.model.ShadowRunner;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code drop:} section in the assembled service: bound and validated by the loader (a wrong
 * key named), started after the camera port, and a hot-folder image recorded in the same audit
 * trail as a camera frame.
 */
class DropServiceTest {
  private static final ServiceMetrics.Models NO_MODELS =
      new ServiceMetrics.Models() {
        @Override
        public long switches() {
          return 0;
        }

        @Override
        public long refusals() {
          return 0;
        }

        @Override
        public ShadowRunner shadow() {
          return null;
        }

        @Override
        public ServiceMetrics.StartupGate startupGate() {
          return null;
        }

        @Override
        public long outputErrors() {
          return 0;
        }
      };

  private static String yaml(Path home, String drop) {
    return """
        line: {name: drop-line, budgetMs: 200}
        ingest: {host: 127.0.0.1, port: 0, maxMessageBytes: 1048576}
        inference: {backend: builtin}
        admin: {enabled: false}
        archive: {enabled: false}
        audit: {enabled: true, dir: %s}
        warmup: {enabled: false}
        drop:
        %s
        """
        .formatted(home.resolve("audit"), drop.indent(2).stripTrailing());
  }

  @Test
  void shouldRefuseAWrongDropKeyNamingIt(@TempDir Path home) {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.parse(
                    yaml(home, "enabled: true\npolMs: 5\ncameras:\n  cam-f: {}\n"), "line.yaml"));
    assertTrue(e.getMessage().contains("drop.polMs: unknown key"), e.getMessage());
    ConfigException none =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.parse(yaml(home, "enabled: true\n"), "line.yaml"));
    assertTrue(none.getMessage().contains("drop.cameras"), none.getMessage());
    ConfigException sftpOff =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.parse(
                    yaml(home, "enabled: true\ncameras:\n  cam-s: {via: sftp, passwordFile: p}\n"),
                    "line.yaml"));
    assertTrue(sftpOff.getMessage().contains("drop.sftp.enabled"), sftpOff.getMessage());
  }

  @Test
  void shouldAuditAHotFolderImageLikeAFrame(@TempDir Path home) throws Exception {
    ServiceConfig config =
        ConfigLoader.parse(
            yaml(
                home,
                "enabled: true\ndir: %s\nsettleMs: 0\ncameras:\n  cam-f: {}\n"
                    .formatted(home.resolve("drop"))),
            "line.yaml");
    Path dir;
    try (InspectionService service = new InspectionService(config, home)) {
      service.start();
      assertNotNull(service.drop(), "drop.enabled starts the drop");
      dir = service.drop().directory("cam-f");
      BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
      Path tmp = dir.resolve(".upload.tmp");
      ImageIO.write(img, "png", tmp.toFile());
      Files.move(tmp, dir.resolve("part-77.png"), StandardCopyOption.ATOMIC_MOVE);
      Path result = dir.resolve("part-77.png.result.json");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.exists(result)) {
        assertTrue(System.nanoTime() - until < 0, "no result for part-77.png");
        Thread.sleep(10);
      }
      String r = Files.readString(result);
      assertTrue(r.startsWith("{\"camera\":\"cam-f\",\"sequence\":77,"), r);
      assertEquals(1, service.drop().images());
      String metrics = new ServiceMetrics(service, NO_MODELS).render();
      for (String line :
          new String[] {
            "inspection_drop_files_total{outcome=\"judged\"} 1.0",
            "inspection_drop_files_total{outcome=\"bad\"} 0.0",
            "inspection_drop_files_total{outcome=\"partial\"} 0.0",
            "inspection_drop_quota_refused_total 0.0",
            "inspection_drop_results_total{result=\"written\"} 1.0",
          }) {
        assertTrue(metrics.contains(line + "\n"), "on /metrics: " + line + "\n" + metrics);
      }
    }
    StringBuilder audit = new StringBuilder();
    try (Stream<Path> files = Files.walk(home.resolve("audit"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f)) {
          audit.append(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    assertTrue(audit.indexOf("cam-f") >= 0, "the drop's image is in the audit trail: " + audit);
  }
}
