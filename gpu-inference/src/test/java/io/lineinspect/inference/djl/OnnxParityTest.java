package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ModelGateConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.GoldenGate;
import io.lineinspect.core.model.GoldenSet;
import io.lineinspect.core.pipeline.FramesThroughPipeline;
import io.lineinspect.core.pipeline.RecordingSource.Written;
import io.lineinspect.sim.PartRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo model's ONNX export ({@code models/demo-defects/2}, DJL's OnnxRuntime engine) against
 * its TorchScript original ({@code models/demo-defects/1}, PyTorch engine), through the production
 * path (manifest, checksum, probe, OpenCV, pipeline): the same verdict for every freshly rendered
 * part, scores within {@value #SCORE_TOLERANCE}; and an export that is broken but emits well-formed
 * probabilities is refused by the golden-set gate.
 */
class OnnxParityTest {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static final Path TORCHSCRIPT = HOME.resolve("models/demo-defects/1/manifest.yaml");
  private static final Path ONNX = HOME.resolve("models/demo-defects/2/manifest.yaml");
  private static final Path BROKEN = Path.of("src/test/resources/onnx-broken/manifest.yaml");

  /** Largest score difference allowed between the engines (float32 kernels differ in rounding). */
  static final double SCORE_TOLERANCE = 1e-3;

  private static DjlBackendConfig config(Path manifest) {
    return new DjlBackendConfig(manifest.toString(), "cpu", 16, 2);
  }

  @Test
  void shouldGiveTheSameVerdictsAsTheTorchScriptOriginalOnFreshlyRenderedParts() throws Exception {
    int n = 400;
    // A seed no training, test, golden or other test set used.
    PartRenderer renderer = new PartRenderer(256, 256, 20_261_202, 0.5);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[256 * 256];
      renderer.render(pixels, PixelFormat.MONO8);
      frames.add(pixels);
    }
    List<Written> pt;
    List<Written> ort;
    try (DjlBackend b = DjlBackend.load(config(TORCHSCRIPT), HOME)) {
      pt = FramesThroughPipeline.run(b, n, 256, 256, frames::get);
    }
    try (DjlBackend b = DjlBackend.load(config(ONNX), HOME)) {
      assertTrue(b.manifest().onnx());
      ort = FramesThroughPipeline.run(b, n, 256, 256, frames::get);
    }
    assertEquals(n, pt.size());
    assertEquals(n, ort.size());
    double maxDiff = 0;
    int fails = 0;
    for (int i = 0; i < n; i++) {
      Written a = pt.get(i);
      Written b = ort.get(i);
      assertEquals(ReasonCode.NONE, a.reason(), "judged by TorchScript: " + a);
      assertEquals(ReasonCode.NONE, b.reason(), "judged by ONNX: " + b);
      assertEquals(a.verdict(), b.verdict(), "frame " + i + ": " + a + " vs " + b);
      maxDiff = Math.max(maxDiff, Math.abs(a.score() - b.score()));
      fails += a.verdict() == io.lineinspect.core.decide.Verdict.FAIL ? 1 : 0;
    }
    System.out.printf(
        "ONNX export vs TorchScript on %d fresh parts (%d FAIL): same verdicts, max |score diff| %.2e%n",
        n, fails, maxDiff);
    assertTrue(maxDiff <= SCORE_TOLERANCE, "max score difference " + maxDiff);
    assertTrue(fails > n / 4 && fails < 3 * n / 4, "both verdicts occur: " + fails);
  }

  @Test
  void shouldPassTheGoldenGateWithTheOnnxExport() throws Exception {
    Path labels = ModelManifest.load(ONNX).goldenFile(ONNX);
    GoldenGate gate = new GoldenGate(ModelGateConfig.defaults(), Pacer.FULL_SPEED);
    try (DjlBackend b = DjlBackend.load(config(ONNX), HOME)) {
      GateReport r = gate.check(b, null, GoldenSet.load(labels), List.of(), s -> {});
      assertTrue(r.passed(), r.toString());
      assertEquals(r.goldenTotal(), r.goldenCorrect(), r.toString());
    }
  }

  @Test
  void shouldRefuseABrokenOnnxExportAtTheGoldenGateThoughItsOutputsAreWellFormed()
      throws Exception {
    ModelManifest m = ModelManifest.load(BROKEN);
    GoldenGate gate = new GoldenGate(ModelGateConfig.defaults(), Pacer.FULL_SPEED);
    // It loads: checksum, shape and probe batch (valid probabilities) are fine ...
    try (DjlBackend b = DjlBackend.load(config(BROKEN.toAbsolutePath()), HOME)) {
      GateReport r = gate.check(b, null, GoldenSet.load(m.goldenFile(BROKEN)), List.of(), s -> {});
      // ... but it judges the golden set wrong, so it may not serve.
      System.out.println("broken ONNX export at the gate: " + r.reasons());
      assertFalse(r.passed(), r.toString());
      assertTrue(r.goldenAccuracy() < 0.98, r.toString());
    }
  }

  @Test
  void shouldRefuseAFileThatIsNotOnnxWithAMessageNamingIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.onnx");
    Files.writeString(file, "not an onnx graph");
    String manifest =
        Files.readString(ONNX)
            .replaceFirst("sha256: .*", "sha256: " + DjlBackend.sha256(file))
            .replaceFirst("golden: .*", "");
    Files.writeString(dir.resolve("manifest.yaml"), manifest);
    ModelException e =
        assertThrows(
            ModelException.class,
            () -> DjlBackend.load(config(dir.resolve("manifest.yaml")), HOME).close());
    assertTrue(e.getMessage().startsWith(file + ": not a loadable ONNX model"), e.getMessage());
  }

  @Test
  void shouldRefuseAnUnknownEngineNamingTheManifest(@TempDir Path dir) throws Exception {
    Path manifest = dir.resolve("manifest.yaml");
    Files.writeString(
        manifest, Files.readString(ONNX).replace("engine: onnxruntime", "engine: tensorrt"));
    ModelException e = assertThrows(ModelException.class, () -> ModelManifest.load(manifest));
    assertEquals(
        manifest + ": engine must be one of [pytorch, onnxruntime], got tensorrt", e.getMessage());
  }

  @Test
  void shouldRefuseOnnxOnAGpuDeviceInsteadOfSilentlyRunningOnTheCpu() {
    ModelException e =
        assertThrows(
            ModelException.class,
            () -> DjlBackend.load(new DjlBackendConfig(ONNX.toString(), "gpu", 16, 2), HOME));
    assertTrue(e.getMessage().contains("engine onnxruntime runs on the CPU only"), e.getMessage());
  }
}
