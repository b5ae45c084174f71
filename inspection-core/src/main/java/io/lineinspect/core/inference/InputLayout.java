package io.lineinspect.core.inference;

import java.util.Arrays;

/**
 * What the floats a {@link Preprocessor} writes into a frame's model input mean: {@code channels}
 * planes of {@code height × width} values in NCHW order, each value {@code x} normalised so that
 * {@code pixel/255 = x · std[c] + mean[c]}. With it, checks on the model input (the fitness check
 * in {@code io.lineinspect.core.quality}) work the same for every backend.
 *
 * <p>Immutable: the arrays are copied in and never handed out.
 *
 * @param channels planes per frame (1 = grey, 3 = colour)
 * @param width plane width
 * @param height plane height
 */
public record InputLayout(int channels, int width, int height, float[] mean, float[] std) {
  public InputLayout {
    if (channels < 1 || width < 1 || height < 1) {
      throw new IllegalArgumentException(
          "input layout needs positive channels, width and height, got "
              + channels
              + "x"
              + width
              + "x"
              + height);
    }
    if (mean == null || std == null || mean.length != channels || std.length != channels) {
      throw new IllegalArgumentException("input layout needs one mean and one std per channel");
    }
    mean = mean.clone();
    std = std.clone();
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("input layout std must be positive, got " + s);
      }
    }
  }

  /** One grey plane with values already in 0..1 (mean 0, std 1). */
  public static InputLayout grey01(int width, int height) {
    return new InputLayout(1, width, height, new float[] {0f}, new float[] {1f});
  }

  /** Mean of channel {@code c}. */
  public float mean(int c) {
    return mean[c];
  }

  /** Standard deviation of channel {@code c}. */
  public float std(int c) {
    return std[c];
  }

  /** Floats per frame. */
  public int floats() {
    return channels * width * height;
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputLayout l
        && l.channels == channels
        && l.width == width
        && l.height == height
        && Arrays.equals(l.mean, mean)
        && Arrays.equals(l.std, std);
  }

  @Override
  public int hashCode() {
    return (channels * 31 + width) * 31 + height + 31 * Arrays.hashCode(mean);
  }

  @Override
  public String toString() {
    return channels
        + "x"
        + height
        + "x"
        + width
        + " mean "
        + Arrays.toString(mean)
        + " std "
        + Arrays.toString(std);
  }
}
