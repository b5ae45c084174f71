package io.lineinspect.core.quality;

import java.util.Locale;

/**
 * The limits a frame's {@link FrameStats} must keep to be judged at all: outside any of them the
 * frame fails safe {@code UNFIT_IMAGE} and is never shown to the model. A model brings its own (the
 * {@code quality:} section of its manifest, derived from its golden set with {@code inspect models
 * quality}); the builtin backend takes them from {@code inference.builtin.quality}. Every limit
 * left out gets the conservative default below, which catches black, white, uniform and covered
 * frames on any line — there is no "no check".
 *
 * <p>Immutable. Values are in pixel/255 units (0 = black, 1 = white), as {@link FrameStats}
 * computes them. A limit is switched off only by its neutral value (0 for a minimum, 1 for a
 * maximum), written on purpose.
 *
 * @param minBrightness mean grey below this: dark frame (lens cap, light off, 10 % light); default
 *     {@value #DEFAULT_MIN_BRIGHTNESS}
 * @param maxBrightness mean grey above this: washed out (flash, saturated); default {@value
 *     #DEFAULT_MAX_BRIGHTNESS}
 * @param minContrast grey standard deviation below this: uniform frame (cap, fog, grey card);
 *     default {@value #DEFAULT_MIN_CONTRAST}
 * @param maxClippedFraction share of pixels clipped black or white above this: part of the view
 *     covered or saturated; default {@value #DEFAULT_MAX_CLIPPED_FRACTION}
 * @param maxFlatCellFraction share of 8×8 grid cells without texture above this: a cap or an object
 *     over part of the lens; default {@value #DEFAULT_MAX_FLAT_CELL_FRACTION}
 * @param minSharpness mean absolute Laplacian below this: out of focus, smeared lens; default
 *     {@value #DEFAULT_MIN_SHARPNESS} (off: focus depends on the optics and must come from the
 *     model's golden set)
 */
public record QualityLimits(
    Double minBrightness,
    Double maxBrightness,
    Double minContrast,
    Double maxClippedFraction,
    Double maxFlatCellFraction,
    Double minSharpness) {

  public static final double DEFAULT_MIN_BRIGHTNESS = 0.06;
  public static final double DEFAULT_MAX_BRIGHTNESS = 0.94;
  public static final double DEFAULT_MIN_CONTRAST = 0.02;
  public static final double DEFAULT_MAX_CLIPPED_FRACTION = 0.3;
  public static final double DEFAULT_MAX_FLAT_CELL_FRACTION = 0.2;
  public static final double DEFAULT_MIN_SHARPNESS = 0.0;

  private static final QualityLimits DEFAULTS =
      new QualityLimits(null, null, null, null, null, null);

  /** A limit out of range; the message starts with the key relative to the section. */
  public static final class InvalidLimit extends IllegalArgumentException {
    InvalidLimit(String message) {
      super(message);
    }
  }

  public QualityLimits {
    minBrightness = in("minBrightness", minBrightness, DEFAULT_MIN_BRIGHTNESS);
    maxBrightness = in("maxBrightness", maxBrightness, DEFAULT_MAX_BRIGHTNESS);
    minContrast = in("minContrast", minContrast, DEFAULT_MIN_CONTRAST);
    maxClippedFraction = in("maxClippedFraction", maxClippedFraction, DEFAULT_MAX_CLIPPED_FRACTION);
    maxFlatCellFraction =
        in("maxFlatCellFraction", maxFlatCellFraction, DEFAULT_MAX_FLAT_CELL_FRACTION);
    minSharpness = in("minSharpness", minSharpness, DEFAULT_MIN_SHARPNESS);
    if (minBrightness >= maxBrightness) {
      throw new InvalidLimit(
          "minBrightness: must be below maxBrightness ("
              + maxBrightness
              + "), got "
              + minBrightness);
    }
  }

  private static double in(String key, Double value, double def) {
    if (value == null) {
      return def;
    }
    if (!(value >= 0 && value <= 1)) {
      throw new InvalidLimit(key + ": must be between 0 and 1, got " + value);
    }
    return value;
  }

  /** Every limit at its default. */
  public static QualityLimits defaults() {
    return DEFAULTS;
  }

  /** The limits as a YAML block (two-space indent under {@code quality:}). */
  public String toYaml(String indent) {
    return String.format(
        Locale.ROOT,
        "%1$sminBrightness: %2$.4f%n%1$smaxBrightness: %3$.4f%n%1$sminContrast: %4$.4f%n"
            + "%1$smaxClippedFraction: %5$.4f%n%1$smaxFlatCellFraction: %6$.4f%n"
            + "%1$sminSharpness: %7$.4f%n",
        indent,
        minBrightness,
        maxBrightness,
        minContrast,
        maxClippedFraction,
        maxFlatCellFraction,
        minSharpness);
  }
}
