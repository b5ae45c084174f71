package io.lineinspect.core.inference.builtin;

/**
 * The builtin defect heuristic: the share of pixels that stand out from their neighbourhood by
 * more than a fixed contrast, mapped to a 0..1 score. Scratches, spots and cracks are small,
 * sharp, dark or bright marks on an otherwise smooth part, so they raise that share.
 *
 * <p>Owned by one inference thread.
 */
final class ContrastScorer {
  private static final float CONTRAST = 0.12f;
  private static final float CALIBRATION = 0.02f;

  private final int side;

  ContrastScorer(int side) {
    this.side = side;
  }

  float score(float[] img) {
    int outliers = 0;
    for (int y = 1; y < side - 1; y++) {
      for (int x = 1; x < side - 1; x++) {
        int i = y * side + x;
        float mean =
            (img[i - side - 1] + img[i - side] + img[i - side + 1] + img[i - 1] + img[i + 1]
                    + img[i + side - 1] + img[i + side] + img[i + side + 1])
                / 8f;
        if (Math.abs(img[i] - mean) > CONTRAST) {
          outliers++;
        }
      }
    }
    float share = outliers / (float) ((side - 2) * (side - 2));
    return share / (share + CALIBRATION);
  }
}
