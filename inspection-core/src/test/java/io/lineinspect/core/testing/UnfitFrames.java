package io.lineinspect.core.testing;

import java.util.SplittableRandom;

/**
 * What goes wrong in front of a line camera, applied to a MONO8 frame in place: a lens cap, a dead
 * or blinding light, a grey card, a half-covered lens, a light at 10 %, a lens out of focus. Each
 * keeps a little sensor noise where a real sensor would, so the fitness check cannot rely on
 * perfectly constant pixels. Shared by the fitness tests of every backend.
 */
public final class UnfitFrames {
  private UnfitFrames() {}

  /** The faults, each turning a rendered part into a frame that must not be judged. */
  public enum Fault {
    /** Lens cap: black with sensor noise (dark level 0..3). */
    BLACK,
    /** Blinding light: saturated white. */
    WHITE,
    /** A uniform mid-grey view (grey card, fog), noise ±1. */
    UNIFORM_GREY,
    /** The left half of the view covered black (the other half still shows the part). */
    HALF_COVERED,
    /** The light at 10 %: every pixel × 0.1. */
    TEN_PERCENT_LIGHT,
    /** Out of focus: a strong blur (box 9 × 9, three times). */
    OUT_OF_FOCUS
  }

  /** Applies {@code fault} to the {@code width × height} MONO8 image in {@code pixels}. */
  public static void apply(Fault fault, byte[] pixels, int width, int height, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = width * height;
    switch (fault) {
      case BLACK -> {
        for (int i = 0; i < n; i++) {
          pixels[i] = (byte) r.nextInt(4);
        }
      }
      case WHITE -> java.util.Arrays.fill(pixels, 0, n, (byte) 255);
      case UNIFORM_GREY -> {
        for (int i = 0; i < n; i++) {
          pixels[i] = (byte) (127 + r.nextInt(3));
        }
      }
      case HALF_COVERED -> {
        for (int y = 0; y < height; y++) {
          for (int x = 0; x < width / 2; x++) {
            pixels[y * width + x] = (byte) r.nextInt(4);
          }
        }
      }
      case TEN_PERCENT_LIGHT -> {
        for (int i = 0; i < n; i++) {
          pixels[i] = (byte) Math.round((pixels[i] & 0xFF) * 0.1);
        }
      }
      case OUT_OF_FOCUS -> {
        for (int pass = 0; pass < 3; pass++) {
          boxBlur(pixels, width, height, 4);
        }
      }
    }
  }

  private static void boxBlur(byte[] p, int w, int h, int radius) {
    int[] tmp = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sum = 0;
        int count = 0;
        for (int d = -radius; d <= radius; d++) {
          int xx = x + d;
          if (xx >= 0 && xx < w) {
            sum += p[y * w + xx] & 0xFF;
            count++;
          }
        }
        tmp[y * w + x] = sum / count;
      }
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sum = 0;
        int count = 0;
        for (int d = -radius; d <= radius; d++) {
          int yy = y + d;
          if (yy >= 0 && yy < h) {
            sum += tmp[yy * w + x];
            count++;
          }
        }
        p[y * w + x] = (byte) (sum / count);
      }
    }
  }
}
