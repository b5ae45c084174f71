package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ModelGateConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.model.GateReport;
import io.lineinspect.core.model.GoldenGate;
import io.lineinspect.core.model.GoldenSet;
import io.lineinspect.core.pipeline.FramesThroughPipeline;
import io.lineinspect.core.pipeline.RecordingSource.Written;
import io.lineinspect.core.quality.QualityLimits;
import io.lineinspect.core.testing.UnfitFrames;
import io.lineinspect.core.testing.UnfitFrames.Fault;
import io.lineinspect.sim.DefectKind;
import io.lineinspect.sim.PartRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fitness check on the shipped demo model (manifest, OpenCV preprocessing, DJL), through the
 * real pipeline: frames of defective parts that cannot be judged fail safe UNFIT_IMAGE before the
 * model sees them (without the check a tester saw the model score a lens cap 0.689 — FAIL by luck —
 * and pass 12 of 20 half-covered defective parts); rendered parts and the golden set are never
 * refused.
 */
class DjlFitnessTest {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  private static final Path DEMO_DIR = HOME.resolve("models/demo-defects/1");
  private static final int SIDE = 256;

  private static DjlBackendConfig config(Path manifest) {
    return new DjlBackendConfig(manifest.toString(), "cpu", 16, 2);
  }

  @Test
  void shouldReadTheQualitySectionOfTheDemoManifest() {
    ModelManifest m = ModelManifest.load(DEMO_DIR.resolve("manifest.yaml"));
    assertNotEquals(QualityLimits.defaults(), m.quality());
    assertTrue(m.quality().minSharpness() > 0, "the demo model has a sharpness limit");
  }

  @Test
  void shouldFailSafeEveryFaultOfDefectivePartsOnTheDemoModel() throws Exception {
    try (DjlBackend backend = DjlBackend.load(config(DEMO_DIR.resolve("manifest.yaml")), HOME)) {
      Map<Fault, List<Written>> byFault = faulted(backend, List.of(Fault.values()));
      byFault.forEach(
          (f, ws) ->
              ws.forEach(
                  w -> {
                    assertEquals(ReasonCode.UNFIT_IMAGE, w.reason(), f + ": " + w);
                    assertEquals(Verdict.FAIL, w.verdict(), f + ": " + w);
                  }));
      System.out.println(
          "demo model: lens cap -> "
              + byFault.get(Fault.BLACK).get(0).detail()
              + "; half covered -> "
              + byFault.get(Fault.HALF_COVERED).get(0).detail()
              + "; out of focus -> "
              + byFault.get(Fault.OUT_OF_FOCUS).get(0).detail());
    }
  }

  @Test
  void shouldFailSafeBlankAndCoveredFramesWithTheDefaultsWhenTheManifestHasNoQualitySection(
      @TempDir Path dir) throws Exception {
    Path manifest = withoutQuality(dir);
    assertEquals(QualityLimits.defaults(), ModelManifest.load(manifest).quality());
    try (DjlBackend backend = DjlBackend.load(config(manifest), HOME)) {
      List<Fault> faults =
          List.of(
              Fault.BLACK,
              Fault.WHITE,
              Fault.UNIFORM_GREY,
              Fault.HALF_COVERED,
              Fault.TEN_PERCENT_LIGHT);
      faulted(backend, faults)
          .forEach(
              (f, ws) ->
                  ws.forEach(w -> assertEquals(ReasonCode.UNFIT_IMAGE, w.reason(), f + ": " + w)));
    }
  }

  @Test
  void shouldNeverRefuseRenderedPartsOfAnyKind() throws Exception {
    int n = 2000;
    PartRenderer renderer = new PartRenderer(SIDE, SIDE, 20_261_201, 0.5);
    byte[] pixels = new byte[SIDE * SIDE];
    Map<DefectKind, Integer> kinds = new EnumMap<>(DefectKind.class);
    try (DjlBackend backend = DjlBackend.load(config(DEMO_DIR.resolve("manifest.yaml")), HOME)) {
      List<Written> verdicts =
          FramesThroughPipeline.run(
              backend,
              n,
              SIDE,
              SIDE,
              i -> {
                kinds.merge(renderer.render(pixels, PixelFormat.MONO8).defect(), 1, Integer::sum);
                return pixels;
              });
      assertEquals(n, verdicts.size());
      assertEquals(DefectKind.values().length, kinds.size(), "every kind rendered: " + kinds);
      for (Written w : verdicts) {
        assertEquals(ReasonCode.NONE, w.reason(), "judged: " + w);
      }
    }
  }

  @Test
  void shouldJudgeEveryGoldenImageAndCountImagesOutsideACandidatesLimitsAsNotJudged(
      @TempDir Path dir) throws Exception {
    List<GoldenSet.Labelled> golden = GoldenSet.load(DEMO_DIR.resolve("golden/labels.csv"));
    GoldenGate gate = new GoldenGate(ModelGateConfig.defaults(), Pacer.FULL_SPEED);
    try (DjlBackend backend = DjlBackend.load(config(DEMO_DIR.resolve("manifest.yaml")), HOME)) {
      GateReport r = gate.check(backend, null, golden, List.of(), s -> {});
      assertEquals(0, r.unjudged(), r.toString());
      assertEquals(golden.size(), r.goldenCorrect(), r.toString());
    }
    // A candidate whose limits are wrong (brighter than its own golden images) is refused, and the
    // report says why.
    Path manifest = withoutQuality(dir);
    Files.writeString(
        manifest,
        Files.readString(manifest) + "quality:\n  minBrightness: 0.5\n  maxBrightness: 0.9\n");
    try (DjlBackend candidate = DjlBackend.load(config(manifest), HOME)) {
      GateReport r = gate.check(candidate, null, golden, List.of(), s -> {});
      assertFalse(r.passed());
      assertEquals(golden.size(), r.unjudged(), r.toString());
      assertTrue(r.examples().get(0).contains("unfit image: brightness"), r.examples().get(0));
    }
  }

  @Test
  void shouldRefuseAQualityLimitOutOfRangeNamingTheKey(@TempDir Path dir) throws Exception {
    Path manifest = withoutQuality(dir);
    Files.writeString(manifest, Files.readString(manifest) + "quality:\n  minContrast: 2\n");
    String m = assertThrows(ModelException.class, () -> ModelManifest.load(manifest)).getMessage();
    assertTrue(m.contains("manifest.yaml: quality.minContrast: must be between 0 and 1"), m);
    Files.writeString(
        manifest, Files.readString(withoutQuality(dir)) + "quality:\n  minContrst: 0.1\n");
    m = assertThrows(ModelException.class, () -> ModelManifest.load(manifest)).getMessage();
    assertTrue(m.contains("unknown key 'minContrst'"), m);
  }

  /** A copy of the demo model whose manifest has no quality section. */
  private static Path withoutQuality(Path dir) throws Exception {
    String text = Files.readString(DEMO_DIR.resolve("manifest.yaml"));
    int q = text.indexOf("\nquality:");
    assertTrue(q > 0, "the demo manifest has a quality section");
    StringBuilder kept = new StringBuilder(text.substring(0, q + 1));
    boolean inQuality = true;
    for (String line : text.substring(q + 1).split("\n", -1)) {
      if (inQuality && (line.startsWith("quality:") || line.startsWith("  "))) {
        continue;
      }
      inQuality = false;
      kept.append(line).append('\n');
    }
    Path manifest = dir.resolve("manifest.yaml");
    Files.writeString(manifest, kept.toString().replace("golden: ", "# golden: "));
    if (!Files.exists(dir.resolve("model.pt"))) {
      Files.copy(DEMO_DIR.resolve("model.pt"), dir.resolve("model.pt"));
    }
    return manifest;
  }

  /** 20 defective parts under each fault, through the pipeline. */
  private static Map<Fault, List<Written>> faulted(DjlBackend backend, List<Fault> faults)
      throws Exception {
    PartRenderer renderer = new PartRenderer(SIDE, SIDE, 4711, 1.0);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] part = new byte[SIDE * SIDE];
      assertTrue(renderer.render(part, PixelFormat.MONO8).defective());
      for (Fault f : faults) {
        byte[] q = part.clone();
        UnfitFrames.apply(f, q, SIDE, SIDE, i);
        frames.add(q);
      }
    }
    List<Written> verdicts =
        FramesThroughPipeline.run(backend, frames.size(), SIDE, SIDE, frames::get);
    assertEquals(frames.size(), verdicts.size());
    Map<Fault, List<Written>> byFault = new EnumMap<>(Fault.class);
    for (int i = 0; i < verdicts.size(); i++) {
      byFault
          .computeIfAbsent(faults.get(i % faults.size()), k -> new ArrayList<>())
          .add(verdicts.get(i));
    }
    return byFault;
  }
}
