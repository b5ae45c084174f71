package io.lineinspect.core.quality;

import io.lineinspect.core.inference.InputLayout;

/**
 * Cheap image statistics of one frame's model input, in pixel/255 units (0 = black, 1 = white),
 * computed in one pass over the input with no allocation: the numbers the fitness check ({@link
 * QualityCheck}) compares with a model's {@link QualityLimits}.
 *
 * <ul>
 *   <li>{@link #brightness()}: mean grey level.
 *   <li>{@link #contrast()}: standard deviation of the grey level.
 *   <li>{@link #clippedFraction()}: share of pixels at or below {@link #DARK_LEVEL} or at or above
 *       {@link #BRIGHT_LEVEL} (no information left: a cap, a dead light, saturation).
 *   <li>{@link #flatCellFraction()}: the image is cut into a {@link #GRID} × {@link #GRID} grid;
 *       the share of cells whose own standard deviation is below {@link #FLAT_CELL_STD}. A part of
 *       the image with no texture at all (not even sensor noise) is covered or blank: a
 *       half-covered lens gives about 0.5 whatever the rest shows.
 *   <li>{@link #sharpness()}: mean absolute 4-neighbour Laplacian over the inner pixels; falls when
 *       the lens is out of focus or smeared.
 * </ul>
 *
 * <p>Multi-channel input is averaged to grey after mapping every channel back to pixel/255 with the
 * backend's {@link InputLayout} ({@code pixel/255 = x · std + mean}).
 *
 * <p>Owned by one thread (a preprocess worker, an image judge); reused for every frame.
 */
public final class FrameStats {
  /** Grid cells per side for {@link #flatCellFraction()}. */
  public static final int GRID = 8;

  /** A pixel at or below this grey level counts as clipped black (≈ 5 of 255). */
  public static final double DARK_LEVEL = 0.02;

  /** A pixel at or above this grey level counts as clipped white (≈ 250 of 255). */
  public static final double BRIGHT_LEVEL = 0.98;

  /** A grid cell whose grey standard deviation is below this (≈ 1 of 255) is flat. */
  public static final double FLAT_CELL_STD = 0.004;

  private final InputLayout layout;
  private final int width;
  private final int height;
  private final int plane;
  private final int channels;
  private final float offset;
  private final float[] scale;
  private final int cellColumns;
  private final int[] cellStart;
  private final int[] cellRowOfY;
  private final int[] cellPixels;
  private final double[] cellSum;
  private final double[] cellSumSq;
  private final float[][] rows;

  private double brightness;
  private double contrast;
  private double clippedFraction;
  private double flatCellFraction;
  private double sharpness;

  public FrameStats(InputLayout layout) {
    this.layout = layout;
    this.width = layout.width();
    this.height = layout.height();
    this.plane = width * height;
    this.channels = layout.channels();
    float off = 0;
    this.scale = new float[channels];
    for (int c = 0; c < channels; c++) {
      off += layout.mean(c) / channels;
      scale[c] = layout.std(c) / channels;
    }
    this.offset = off;
    int gx = Math.min(GRID, width);
    int gy = Math.min(GRID, height);
    this.cellColumns = gx;
    this.cellStart = new int[gx + 1];
    for (int cx = 0; cx <= gx; cx++) {
      cellStart[cx] = (cx * width + gx - 1) / gx;
    }
    this.cellRowOfY = new int[height];
    for (int y = 0; y < height; y++) {
      cellRowOfY[y] = (y * gy / height) * GRID;
    }
    this.cellPixels = new int[GRID * GRID];
    for (int y = 0; y < height; y++) {
      for (int cx = 0; cx < gx; cx++) {
        cellPixels[cellRowOfY[y] + cx] += cellStart[cx + 1] - cellStart[cx];
      }
    }
    this.cellSum = new double[GRID * GRID];
    this.cellSumSq = new double[GRID * GRID];
    this.rows = new float[3][width];
  }

  public InputLayout layout() {
    return layout;
  }

  /**
   * Computes every statistic of {@code input} (at least {@link InputLayout#floats()} values laid
   * out as {@link #layout()} says). Non-finite values count as clipped and add nothing else.
   */
  public void compute(float[] input) {
    java.util.Arrays.fill(cellSum, 0);
    java.util.Arrays.fill(cellSumSq, 0);
    double sum = 0;
    double sumSq = 0;
    long clipped = 0;
    double laplacian = 0;
    for (int y = 0; y < height; y++) {
      float[] row = rows[y % 3];
      toGrey(input, y * width, row);
      int cellRow = cellRowOfY[y];
      double rowSum = 0;
      for (int cx = 0; cx < cellColumns; cx++) {
        float s = 0;
        float s2 = 0;
        for (int x = cellStart[cx], end = cellStart[cx + 1]; x < end; x++) {
          float g = row[x];
          if (!(g > DARK_LEVEL && g < BRIGHT_LEVEL)) {
            clipped++;
            if (!Float.isFinite(g)) {
              g = 0f;
              row[x] = 0f;
            }
          }
          s += g;
          s2 += g * g;
        }
        cellSum[cellRow + cx] += s;
        cellSumSq[cellRow + cx] += s2;
        rowSum += s;
        sumSq += s2;
      }
      sum += rowSum;
      if (y >= 2) {
        float[] top = rows[(y - 2) % 3];
        float[] mid = rows[(y - 1) % 3];
        float lap = 0;
        for (int x = 1; x < width - 1; x++) {
          lap += Math.abs(4 * mid[x] - mid[x - 1] - mid[x + 1] - top[x] - row[x]);
        }
        laplacian += lap;
      }
    }
    double n = plane;
    brightness = sum / n;
    contrast = Math.sqrt(Math.max(0, sumSq / n - brightness * brightness));
    clippedFraction = clipped / n;
    int cells = 0;
    int flat = 0;
    for (int i = 0; i < cellPixels.length; i++) {
      int k = cellPixels[i];
      if (k == 0) {
        continue;
      }
      cells++;
      double m = cellSum[i] / k;
      double var = cellSumSq[i] / k - m * m;
      if (var < FLAT_CELL_STD * FLAT_CELL_STD) {
        flat++;
      }
    }
    flatCellFraction = cells == 0 ? 1 : (double) flat / cells;
    long inner = (long) Math.max(0, width - 2) * Math.max(0, height - 2);
    sharpness = inner == 0 ? 0 : laplacian / inner;
  }

  /** Row {@code base / width} of the input as grey in pixel/255 units, into {@code row}. */
  private void toGrey(float[] input, int base, float[] row) {
    if (channels == 1) {
      float k = scale[0];
      for (int x = 0; x < width; x++) {
        row[x] = offset + input[base + x] * k;
      }
      return;
    }
    for (int x = 0; x < width; x++) {
      float g = offset;
      for (int c = 0; c < channels; c++) {
        g += input[c * plane + base + x] * scale[c];
      }
      row[x] = g;
    }
  }

  /** Mean grey level, 0..1. */
  public double brightness() {
    return brightness;
  }

  /** Standard deviation of the grey level. */
  public double contrast() {
    return contrast;
  }

  /** Share of pixels clipped black or white, 0..1. */
  public double clippedFraction() {
    return clippedFraction;
  }

  /** Share of grid cells with (almost) no texture, 0..1. */
  public double flatCellFraction() {
    return flatCellFraction;
  }

  /** Mean absolute Laplacian (pixel/255 units). */
  public double sharpness() {
    return sharpness;
  }

  /** The value of statistic {@code s} of the last frame computed. */
  public double value(Statistic s) {
    return switch (s) {
      case BRIGHTNESS -> brightness;
      case CONTRAST -> contrast;
      case CLIPPED_FRACTION -> clippedFraction;
      case FLAT_CELL_FRACTION -> flatCellFraction;
      case SHARPNESS -> sharpness;
    };
  }

  /** The statistics, in the order the check applies them. */
  public enum Statistic {
    BRIGHTNESS,
    CONTRAST,
    CLIPPED_FRACTION,
    FLAT_CELL_FRACTION,
    SHARPNESS
  }
}
