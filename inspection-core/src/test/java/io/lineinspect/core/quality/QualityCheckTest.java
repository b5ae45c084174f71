package io.lineinspect.core.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.inference.InputLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The statistics and the check on synthetic model inputs, one rule at a time. */
class QualityCheckTest {
  private static final int SIDE = 128;
  private static final InputLayout GREY = InputLayout.grey01(SIDE, SIDE);

  /** A textured mid-grey image (noise 0.25..0.75): fit by every default limit. */
  private static float[] textured(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] f = new float[SIDE * SIDE];
    for (int i = 0; i < f.length; i++) {
      f[i] = 0.25f + 0.5f * (float) r.nextDouble();
    }
    return f;
  }

  @Test
  void shouldPassATexturedImageWithTheDefaults() {
    QualityCheck check = new QualityCheck(GREY);
    assertNull(check.check(textured(1), QualityLimits.defaults()));
    FrameStats s = check.stats();
    assertEquals(0.5, s.brightness(), 0.01);
    assertEquals(0.5 / Math.sqrt(12), s.contrast(), 0.01);
    assertEquals(0, s.clippedFraction());
    assertEquals(0, s.flatCellFraction());
    assertTrue(s.sharpness() > 0.1, "noise is sharp: " + s.sharpness());
  }

  @Test
  void shouldNameTheCheckTheValueAndTheLimit() {
    QualityCheck check = new QualityCheck(GREY);
    assertEquals(
        "unfit image: brightness 0.0000 < minBrightness 0.0600",
        check.check(new float[SIDE * SIDE], QualityLimits.defaults()));
    float[] white = new float[SIDE * SIDE];
    java.util.Arrays.fill(white, 1f);
    assertEquals(
        "unfit image: brightness 1.0000 > maxBrightness 0.9400",
        check.check(white, QualityLimits.defaults()));
    float[] grey = new float[SIDE * SIDE];
    java.util.Arrays.fill(grey, 0.5f);
    assertEquals(
        "unfit image: contrast 0.0000 < minContrast 0.0200",
        check.check(grey, QualityLimits.defaults()));
  }

  @Test
  void shouldCatchAHalfCoveredImageByItsClippedPixelsAndFlatCells() {
    float[] f = textured(2);
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE / 2; x++) {
        f[y * SIDE + x] = 0f;
      }
    }
    QualityCheck check = new QualityCheck(GREY);
    String problem = check.check(f, QualityLimits.defaults());
    assertEquals("unfit image: clipped pixels 0.5000 > maxClippedFraction 0.3000", problem);
    assertEquals(0.5, check.stats().flatCellFraction(), 1e-9);
    // A dark-grey cover (not clipped) is still caught by its flat cells.
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE / 2; x++) {
        f[y * SIDE + x] = 0.1f;
      }
    }
    assertEquals(
        "unfit image: flat cells 0.5000 > maxFlatCellFraction 0.2000",
        check.check(f, QualityLimits.defaults()));
  }

  @Test
  void shouldCatchABlurredImageOnlyWhereASharpnessLimitIsSet() {
    float[] sharp = textured(3);
    float[] blurred = new float[sharp.length];
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        double sum = 0;
        int n = 0;
        for (int dy = -3; dy <= 3; dy++) {
          for (int dx = -3; dx <= 3; dx++) {
            int xx = x + dx;
            int yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < SIDE && yy < SIDE) {
              sum += sharp[yy * SIDE + xx];
              n++;
            }
          }
        }
        // a gentle gradient keeps the contrast up; the blur removes the fine texture
        blurred[y * SIDE + x] = (float) (sum / n) + 0.4f * (x - SIDE / 2f) / SIDE;
      }
    }
    QualityCheck check = new QualityCheck(GREY);
    assertNull(check.check(blurred, QualityLimits.defaults()));
    QualityLimits focus = new QualityLimits(null, null, null, null, null, 0.05);
    assertNull(check.check(sharp, focus));
    String problem = check.check(blurred, focus);
    assertTrue(problem.startsWith("unfit image: sharpness "), problem);
    assertTrue(problem.endsWith(" < minSharpness 0.0500"), problem);
  }

  @Test
  void shouldReadNormalisedMultiChannelInputBackAsPixels() {
    // 3 channels, normalised x = (p - mean) / std: a black frame is -mean/std in every channel.
    InputLayout rgb =
        new InputLayout(
            3,
            SIDE,
            SIDE,
            new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f});
    float[] black = new float[rgb.floats()];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < SIDE * SIDE; i++) {
        black[c * SIDE * SIDE + i] = -rgb.mean(c) / rgb.std(c);
      }
    }
    QualityCheck check = new QualityCheck(rgb);
    String problem = check.check(black, QualityLimits.defaults());
    assertTrue(problem.matches("unfit image: brightness -?0.0000 < minBrightness 0.0600"), problem);
    float[] texture = textured(4);
    float[] normalised = new float[rgb.floats()];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < SIDE * SIDE; i++) {
        normalised[c * SIDE * SIDE + i] = (texture[i] - rgb.mean(c)) / rgb.std(c);
      }
    }
    assertNull(check.check(normalised, QualityLimits.defaults()));
    assertEquals(0.5, check.stats().brightness(), 0.01);
  }

  @Test
  void shouldTreatNonFiniteInputAsClipped() {
    float[] f = textured(5);
    for (int i = 0; i < f.length / 2; i++) {
      f[i] = Float.NaN;
    }
    String problem = new QualityCheck(GREY).check(f, QualityLimits.defaults());
    assertTrue(problem != null, "half the input NaN is not fit");
  }

  @Test
  void shouldRefuseLimitsOutOfRangeNamingTheKey() {
    assertEquals(
        "minContrast: must be between 0 and 1, got 1.5",
        assertThrows(
                QualityLimits.InvalidLimit.class,
                () -> new QualityLimits(null, null, 1.5, null, null, null))
            .getMessage());
    assertTrue(
        assertThrows(
                QualityLimits.InvalidLimit.class,
                () -> new QualityLimits(0.8, 0.7, null, null, null, null))
            .getMessage()
            .startsWith("minBrightness: must be below maxBrightness"));
  }

  /**
   * Cost per frame of 128 × 128 grey input (what both shipped backends write); printed, and
   * asserted loosely so a shared CI machine does not fail it. {@code DemoPreprocessBenchmark} style
   * numbers: see docs/models.md.
   */
  @Test
  void shouldCostAFewTensOfMicrosecondsPerFrame() {
    QualityCheck check = new QualityCheck(GREY);
    float[] f = textured(6);
    QualityLimits limits = QualityLimits.defaults();
    for (int i = 0; i < 20_000; i++) {
      check.check(f, limits);
    }
    int n = 20_000;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      check.check(f, limits);
    }
    double us = (System.nanoTime() - start) / 1e3 / n;
    System.out.printf(java.util.Locale.ROOT, "fitness check, 128x128 grey: %.1f us/frame%n", us);
    assertTrue(us < 500, us + " us per frame");
  }
}
