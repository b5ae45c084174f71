package io.lineinspect.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.config.ModelGateConfig;
import io.lineinspect.core.inference.Pacer;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.quality.QualityLimits;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The golden-set gate and the fitness check: unfit images are never judged, and never evidence. */
class GoldenGateUnfitTest {

  private static Path png(Path dir, String name, boolean black, long seed) throws Exception {
    BufferedImage img = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
    SplittableRandom r = new SplittableRandom(seed);
    for (int y = 0; y < 128; y++) {
      for (int x = 0; x < 128; x++) {
        int g = black ? r.nextInt(3) : 40 + r.nextInt(170);
        img.getRaster().setSample(x, y, 0, g);
      }
    }
    Path p = dir.resolve(name);
    ImageIO.write(img, "png", p.toFile());
    return p;
  }

  @Test
  void shouldLeaveOutArchivedImagesTheServedModelFoundUnfit(@TempDir Path dir) throws Exception {
    List<Path> recent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      recent.add(png(dir, "capped-" + i + ".png", true, i));
      recent.add(png(dir, "part-" + i + ".png", false, i));
    }
    BuiltinBackend served = new BuiltinBackend(BuiltinBackendConfig.defaults());
    BuiltinBackend candidate = new BuiltinBackend(BuiltinBackendConfig.defaults());
    GateReport r =
        new GoldenGate(new ModelGateConfig(null, false, 200, null, null), Pacer.FULL_SPEED)
            .check(candidate, served, null, recent, s -> {});
    assertEquals(5, r.recentTotal(), "the 5 lens-cap images are no comparison: " + r);
    assertEquals(5, r.recentAgreed(), r.toString());
    assertTrue(r.passed(), r.toString());
  }

  @Test
  void shouldCountGoldenImagesOutsideTheCandidatesOwnLimitsAsNotJudged(@TempDir Path dir)
      throws Exception {
    List<GoldenSet.Labelled> golden = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      golden.add(
          new GoldenSet.Labelled(
              ImageFile.read(png(dir, "g" + i + ".png", false, 10 + i)),
              io.lineinspect.core.decide.Verdict.FAIL));
    }
    // Limits that refuse ordinary images: minBrightness above what they have.
    BuiltinBackend candidate =
        new BuiltinBackend(
            new BuiltinBackendConfig(
                null, null, new QualityLimits(0.9, 0.95, null, null, null, null)));
    GateReport r =
        new GoldenGate(ModelGateConfig.defaults(), Pacer.FULL_SPEED)
            .check(candidate, null, golden, List.of(), s -> {});
    assertEquals(4, r.unjudged(), r.toString());
    assertTrue(!r.passed(), r.toString());
    assertTrue(r.examples().get(0).contains("not judged: unfit image: brightness"), r.toString());
  }
}
