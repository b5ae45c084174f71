package io.lineinspect.core.inference.builtin;

/**
 * The builtin defect heuristic: counts pixels that stand out from their blurred neighbourhood, but
 * only on the inner surface of the bright part (where the blurred 7×7 neighbourhood is bright,
 * which excludes the part's outline, its holes and the belt). Scratches, spots and cracks are small
 * sharp marks on an otherwise smooth surface, so they raise that count; a missing feature does not
 * (that takes a trained model). The score is {@code 1 - exp(-count / SCALE)}.
 *
 * <p>Owned by one inference thread; its work buffers are reused.
 */
final class ContrastScorer {
  /** Residual (0..1 grey) above which a surface pixel is anomalous: about 13 grey levels. */
  private static final float RESIDUAL = 0.05f;

  /** Anomalous pixels for a score of 1 - 1/e. */
  private static final float SCALE = 10f;

  /** Window radius: 7×7 windows. */
  private static final int R = 3;

  private final int side;
  private final float[] rowSum;
  private final float[] blur;
  private final float[] localMin;

  ContrastScorer(int side) {
    this.side = side;
    int n = side * side;
    rowSum = new float[n];
    blur = new float[n];
    localMin = new float[n];
  }

  float score(float[] img) {
    int n = side * side;
    float lo = 1f;
    float hi = 0f;
    for (int i = 0; i < n; i++) {
      lo = Math.min(lo, img[i]);
      hi = Math.max(hi, img[i]);
    }
    float bright = (lo + hi) / 2;
    boxAndMin(img);
    int anomalous = 0;
    for (int y = R; y < side - R; y++) {
      for (int x = R; x < side - R; x++) {
        int i = y * side + x;
        if (localMin[i] > bright && Math.abs(img[i] - blur[i]) > RESIDUAL) {
          anomalous++;
        }
      }
    }
    return (float) (1 - Math.exp(-anomalous / SCALE));
  }

  /**
   * Separable 7×7 mean of the image into {@code blur}, then the 7×7 minimum of that blur into
   * {@code localMin}: a pixel whose blurred neighbourhood is bright everywhere lies on the part's
   * inner surface. Blurring first keeps a small dark defect from masking itself out.
   */
  private void boxAndMin(float[] img) {
    float norm = 1f / ((2 * R + 1) * (2 * R + 1));
    separable(img, blur, false, norm);
    separable(blur, localMin, true, 1f);
  }

  /** 7×7 sum (times {@code norm}) or minimum of {@code src} into {@code dst}, border left as is. */
  private void separable(float[] src, float[] dst, boolean min, float norm) {
    int w = side;
    for (int y = 0; y < w; y++) {
      for (int x = R; x < w - R; x++) {
        float a = min ? Float.MAX_VALUE : 0;
        for (int k = -R; k <= R; k++) {
          float v = src[y * w + x + k];
          a = min ? Math.min(a, v) : a + v;
        }
        rowSum[y * w + x] = a;
      }
    }
    for (int y = R; y < w - R; y++) {
      for (int x = R; x < w - R; x++) {
        float a = min ? Float.MAX_VALUE : 0;
        for (int k = -R; k <= R; k++) {
          float v = rowSum[(y + k) * w + x];
          a = min ? Math.min(a, v) : a + v;
        }
        dst[y * w + x] = min ? a : a * norm;
      }
    }
  }
}
