package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.camera.actuator.LogOutputConfig;
import io.lineinspect.core.config.ActuatorsConfig;
import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.config.MetricsConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.model.ShadowRunner;
import io.lineinspect.core.testing.TestVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exposition rendered by the client library, read back strictly ({@link TextFormat}), against
 * the metric table of {@code docs/operations.md}; and the bound on per-camera series.
 */
class ServiceMetricsTest {
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
          return new ServiceMetrics.StartupGate("demo-defects@1", 120, 120, 1500);
        }

        @Override
        public long outputErrors() {
          return 0;
        }
      };

  /**
   * The demo line with the builtin model, a dry-run actuator, audit and archive under {@code dir}.
   */
  private static ServiceConfig config(Path dir, MetricsConfig metrics) {
    ServiceConfig c = DemoConfigs.load();
    return new ServiceConfig(
            c.line(),
            c.ingest().listeningOn("127.0.0.1", 0),
            c.pipeline(),
            DemoConfigs.inference(c, "builtin"),
            new ActuatorsConfig(c.actuators().timing(), List.of(new LogOutputConfig("dry", false))),
            new AuditConfig(
                true, dir.resolve("audit").toString(), null, null, null, null, null, null),
            new ArchiveConfig(true, dir.resolve("archive").toString(), null, null, null),
            c.drift(),
            c.admin(),
            c.models(),
            c.quality(),
            c.warmup())
        .withMetrics(metrics)
        // Plant export to a broker that is not there: the exporter spools, its metrics appear.
        .withKafka(
            io.lineinspect.core.config.ModuleSection.of(
                ServiceConfig.KAFKA,
                new io.lineinspect.plant.KafkaExportConfig(
                    true,
                    "127.0.0.1:1",
                    "line-m",
                    null,
                    dir.resolve("spool").toString(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null)));
  }

  private static void verdicts(InspectionService service, String camera, int n) {
    TestVerdict v = new TestVerdict();
    v.cameraId = camera;
    for (int i = 0; i < n; i++) {
      v.sequence = i;
      v.verdict = i % 4 == 0 ? Verdict.FAIL : Verdict.PASS;
      v.reason = i % 10 == 9 ? ReasonCode.UNFIT_IMAGE : ReasonCode.NONE;
      v.receivedNs = 1_000_000_000L;
      v.emittedNs = v.receivedNs + 3_000_000L + i * 1_000_000L;
      service.pipeline().metrics().onVerdict(v);
      service.unfitAlarm().onVerdict(v);
    }
    service.cameraClocks().onHeartbeat(camera, service.cameraClocks().nowUs() - 80_000);
  }

  /**
   * The documented metrics: the first column of the table in {@code docs/operations.md} ("`a`,
   * `_b_total`" names {@code inspection_x_b_total} after {@code inspection_x_a}) and its type.
   */
  private static Map<String, String> documented() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "operations.md"));
    Map<String, String> names = new LinkedHashMap<>();
    Pattern row =
        Pattern.compile("^\\| ((?:`[a-z_]+`(?:, )?)+) \\| ([a-z ,/()1]+) \\|", Pattern.MULTILINE);
    Matcher m = row.matcher(doc);
    while (m.find()) {
      String[] cells = m.group(1).replace("`", "").split(", ");
      if (!cells[0].startsWith("inspection_")) {
        continue;
      }
      String[] parts = cells[0].split("_");
      String prefix = parts[0] + "_" + parts[1];
      String[] types = m.group(2).replace("(1)", "").replace(" / ", ", ").split(", ");
      for (int i = 0; i < cells.length; i++) {
        String name = cells[i].startsWith("_") ? prefix + cells[i] : cells[i];
        String type = types.length == cells.length ? types[i].strip() : types[0].strip();
        if (i == cells.length - 1 && types.length == 2 && cells.length > 2) {
          type = types[1].strip(); // "counter / gauge": the last one is the gauge
        }
        names.put(name, type);
      }
    }
    assertTrue(names.size() > 40, "read the metric table of docs/operations.md: " + names);
    return names;
  }

  @Test
  void shouldExportEveryDocumentedMetricWithItsTypeInStrictTextFormat(@TempDir Path dir)
      throws Exception {
    try (InspectionService service =
        new InspectionService(config(dir, MetricsConfig.defaults()), Path.of(".."))) {
      ServiceMetrics metrics = new ServiceMetrics(service, NO_MODELS);
      verdicts(service, "cam-1", 40);
      verdicts(service, "cam-2", 40);
      long t0 = System.nanoTime();
      String text = metrics.render();
      long firstUs = (System.nanoTime() - t0) / 1_000;
      int rounds = 200;
      t0 = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        metrics.render();
      }
      long eachUs = (System.nanoTime() - t0) / 1_000 / rounds;
      Files.writeString(Path.of("target", "metrics-sample.txt"), text);
      Map<String, TextFormat.Family> families = TextFormat.parse(text);
      int series = families.values().stream().mapToInt(f -> f.samples().size()).sum();
      System.out.printf(
          "scrape with 2 cameras: %d bytes, %d families, %d series, first %d µs, then %d µs each"
              + " (mean of %d)%n",
          text.length(), families.size(), series, firstUs, eachUs, rounds);

      // Only while a shadow model runs, once a camera's capture time was not trusted, and with a
      // DJL model (the builtin one has no manifest to break).
      Set<String> conditional =
          Set.of(
              "inspection_shadow_samples_total",
              "inspection_camera_clock_skew_total",
              "inspection_model_output_errors_total",
              "inspection_admin_refused_total", // registered by the admin endpoint serving it
              // Only with drop.enabled (DropServiceTest reads them).
              "inspection_drop_files_total",
              "inspection_drop_quota_refused_total",
              "inspection_drop_results_total",
              "inspection_drop_used_bytes");
      Map<String, String> missing = new LinkedHashMap<>();
      documented()
          .forEach(
              (name, type) -> {
                String family = name;
                TextFormat.Family f = families.get(family);
                if (f == null && !conditional.contains(name)) {
                  missing.put(name, "absent");
                } else if (f != null && !f.type().equals(type)) {
                  missing.put(name, "type " + f.type() + ", documented " + type);
                }
              });
      assertEquals(Map.of(), missing, text);
      assertEquals("histogram", families.get("inspection_verdict_latency_seconds").type());
      assertEquals(
          80,
          sample(families, "inspection_verdict_latency_seconds_count", Map.of()),
          "every verdict is in the histogram");
      assertEquals(
          16,
          sample(families, "inspection_verdict_latency_seconds_bucket", Map.of("le", "0.01")),
          "3..10 ms: 8 verdicts of each camera, cumulative");
      assertEquals(
          0.0225,
          sample(families, "inspection_latency_seconds", Map.of("quantile", "0.5")),
          0.0225 * 0.03,
          "median of the rolling window");
      assertEquals(
          1.0,
          sample(
              families,
              "inspection_model_info",
              Map.of("name", "builtin-contrast", "version", "1", "sha256", "builtin")),
          0.0);
      assertEquals(
          4,
          sample(
              families,
              "inspection_camera_verdicts_total",
              Map.of("camera", "cam-1", "reason", "UNFIT_IMAGE")));
      assertTrue(families.containsKey("jvm_memory_used_bytes"), "JVM metrics: memory");
      assertTrue(families.containsKey("jvm_gc_collection_seconds"), "JVM metrics: GC");
      assertTrue(families.containsKey("jvm_threads_current"), "JVM metrics: threads");
    }
  }

  private static double sample(
      Map<String, TextFormat.Family> families, String name, Map<String, String> labels) {
    return families.values().stream()
        .flatMap(f -> f.samples().stream())
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + name + labels))
        .value();
  }

  @Test
  void shouldKeepTheSeriesBoundedWhenThreeThousandCameraIdsConnect(@TempDir Path dir)
      throws Exception {
    try (InspectionService service =
        new InspectionService(
            config(dir, new MetricsConfig(List.of("line-cam"), 16)), Path.of(".."))) {
      ServiceMetrics metrics = new ServiceMetrics(service, NO_MODELS);
      verdicts(service, "line-cam", 40);
      int before = seriesCount(metrics.render());
      for (int i = 0; i < 3_000; i++) {
        verdicts(service, "peer-" + i, 1);
      }
      String text = metrics.render();
      Map<String, TextFormat.Family> families = TextFormat.parse(text);
      Set<String> cameras = new TreeSet<>();
      families.values().stream()
          .flatMap(f -> f.samples().stream())
          .map(s -> s.labels().get("camera"))
          .filter(c -> c != null)
          .forEach(cameras::add);
      assertTrue(cameras.contains("line-cam"), "a named camera keeps its series");
      assertTrue(cameras.contains("other"), cameras.toString());
      assertEquals(1 + 16 + 1, cameras.size(), cameras.toString());
      int after = seriesCount(text);
      int perCamera = 0;
      for (TextFormat.Family f : families.values()) {
        perCamera +=
            (int)
                f.samples().stream()
                    .filter(s -> "line-cam".equals(s.labels().get("camera")))
                    .count();
      }
      assertTrue(
          after - before <= (16 + 1) * perCamera,
          "3,000 camera ids added " + (after - before) + " series");
      assertEquals(
          3_040,
          families.get("inspection_camera_verdicts_total").samples().stream()
              .mapToDouble(TextFormat.Sample::value)
              .sum(),
          "no verdict is lost from the per-camera counters");
      for (int i = 3_000; i < 6_000; i++) {
        verdicts(service, "peer-" + i, 1);
      }
      assertEquals(after, seriesCount(metrics.render()), "3,000 more camera ids add no series");
      System.out.printf(
          "3,000 then 6,000 camera ids: %d series (%d before them; %d per camera)%n",
          after, before, perCamera);
    }
  }

  /** Series of the service's own metrics (the JVM's come and go with its collectors and pools). */
  private static int seriesCount(String text) {
    return TextFormat.parse(text).values().stream()
        .filter(f -> f.name().startsWith("inspection_"))
        .mapToInt(f -> f.samples().size())
        .sum();
  }

  @Test
  void theTextFormatCheckRefusesWhatAScraperWouldRefuse() {
    String ok = "# TYPE a_total counter\na_total{x=\"1\"} 1.0\n";
    assertEquals(1, TextFormat.parse(ok).get("a_total").samples().size());
    for (String bad :
        new String[] {
          ok + "a_total{x=\"1\"} 2.0\n", // the same series twice
          "# TYPE a counter\na{x=\"1\" 1\n", // unterminated labels
          "# TYPE a gauge\na{x=\"\\t\"} 1\n", // bad escape
          "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n", // family split in two
          "# TYPE a gauge\na one\n", // not a number
          "# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\na_count 1\n",
          "# TYPE a histogram\na_bucket{le=\"1\"} 1\na_count 1\n", // no +Inf bucket
          "# TYPE a summary\na{quantile=\"1.5\"} 1\n",
          "# TYPE a counter\na -1\n",
          "# TYPE a nonsense\na 1\n",
          "a 1", // no newline at the end
        }) {
      assertThrows(IllegalArgumentException.class, () -> TextFormat.parse(bad), bad);
    }
  }
}
