package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.RecordingSource;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.core.time.NanoClock;
import io.lineinspect.sim.DefectKind;
import io.lineinspect.sim.PartLabel;
import io.lineinspect.sim.PartRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed demo model through the production code path (manifest, checks, OpenCV, DJL). */
class DjlBackendTest {
  /** The repository root, where models/ lives (tests run in the module directory). */
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  private static final DjlBackendConfig DEMO = new DjlBackendConfig(null, "cpu", 16, 2);

  @Test
  void shouldJudgeFreshlyRenderedPartsAtLeast97PercentRight() throws Exception {
    int n = 600;
    // A seed the training (1) and test (999) sets never used: parts the model never saw.
    PartRenderer renderer = new PartRenderer(256, 256, 20_261_124, 0.5);
    byte[] pixels = new byte[256 * 256];
    List<PartLabel> labels = new ArrayList<>();
    try (DjlBackend backend = DjlBackend.load(DEMO, HOME)) {
      InspectionPipeline pipeline =
          new InspectionPipeline(
              new PipelineConfig(1024, 1, 16, 0.0, 1 << 16),
              TimeUnit.SECONDS.toNanos(60),
              Verdict.FAIL,
              backend,
              null,
              NanoClock.SYSTEM,
              Thread::new);
      pipeline.start();
      RecordingSource source = new RecordingSource("cam");
      TestFrame frame = new TestFrame();
      try {
        for (int i = 0; i < n; i++) {
          labels.add(renderer.render(pixels, PixelFormat.MONO8));
          pipeline.publish(
              source,
              frame.set(i, System.nanoTime(), 0).image(pixels, 256, 256, PixelFormat.MONO8));
          while (source.count() < i - 32) {
            Thread.sleep(1);
          }
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (source.count() < n && System.nanoTime() - until < 0) {
          Thread.sleep(5);
        }
      } finally {
        pipeline.close();
      }
      List<RecordingSource.Written> verdicts = source.written();
      assertEquals(n, verdicts.size());
      int correct = 0;
      Map<DefectKind, int[]> byKind = new EnumMap<>(DefectKind.class);
      for (int i = 0; i < n; i++) {
        RecordingSource.Written v = verdicts.get(i);
        assertEquals(ReasonCode.NONE, v.reason(), "judged by the model: " + v);
        boolean ok = (v.verdict() == Verdict.FAIL) == labels.get(i).defective();
        correct += ok ? 1 : 0;
        int[] c = byKind.computeIfAbsent(labels.get(i).defect(), k -> new int[2]);
        c[0] += ok ? 1 : 0;
        c[1]++;
      }
      double accuracy = correct / (double) n;
      StringBuilder b = new StringBuilder();
      byKind.forEach(
          (k, c) -> b.append(' ').append(k).append(' ').append(c[0]).append('/').append(c[1]));
      System.out.printf("demo model on %d unseen parts: accuracy %.4f;%s%n", n, accuracy, b);
      assertTrue(accuracy >= 0.97, "accuracy " + accuracy + b);
    }
  }

  private static Path copyModel(Path dir) throws Exception {
    Path src = HOME.resolve("models/demo-defects/1");
    Files.copy(src.resolve("manifest.yaml"), dir.resolve("manifest.yaml"));
    Files.copy(src.resolve("model.pt"), dir.resolve("model.pt"));
    return dir;
  }

  private static String refusal(Path dir) {
    DjlBackendConfig c = new DjlBackendConfig(dir.resolve("manifest.yaml").toString(), "cpu", 4, 1);
    return assertThrows(ModelException.class, () -> DjlBackend.load(c, HOME)).getMessage();
  }

  @Test
  void shouldRefuseATamperedModelFile(@TempDir Path dir) throws Exception {
    copyModel(dir);
    byte[] bytes = Files.readAllBytes(dir.resolve("model.pt"));
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(dir.resolve("model.pt"), bytes);
    String m = refusal(dir);
    assertTrue(m.contains("model.pt: SHA-256 is"), m);
    assertTrue(m.contains("refusing"), m);
  }

  @Test
  void shouldRefuseAMissingModelFile(@TempDir Path dir) throws Exception {
    copyModel(dir);
    Files.delete(dir.resolve("model.pt"));
    assertTrue(refusal(dir).contains("model.pt: model file not found"));
  }

  @Test
  void shouldRefuseACorruptModelFileEvenWithAMatchingChecksum(@TempDir Path dir) throws Exception {
    copyModel(dir);
    Files.writeString(dir.resolve("model.pt"), "not torchscript");
    String sha =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(dir.resolve("model.pt"))));
    Path manifest = dir.resolve("manifest.yaml");
    Files.writeString(
        manifest, Files.readString(manifest).replaceAll("sha256: [0-9a-f]{64}", "sha256: " + sha));
    String m = refusal(dir);
    assertTrue(m.contains("model.pt: not a loadable TorchScript model"), m);
  }

  @Test
  void shouldRefuseAModelWhoseOutputContradictsItsManifest(@TempDir Path dir) throws Exception {
    copyModel(dir);
    Path manifest = dir.resolve("manifest.yaml");
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replace("classes: [good, defect]", "classes: [good, defect, other]"));
    String m = refusal(dir);
    assertTrue(m.contains("contradicts the manifest"), m);
  }

  @Test
  void shouldRefuseAnInvalidManifestNamingTheFile(@TempDir Path dir) throws Exception {
    copyModel(dir);
    Path manifest = dir.resolve("manifest.yaml");
    Files.writeString(manifest, Files.readString(manifest).replace("channels: 1", "channels: 2"));
    String m = refusal(dir);
    assertTrue(m.contains("manifest.yaml: input.channels must be 1 or 3"), m);
  }
}
