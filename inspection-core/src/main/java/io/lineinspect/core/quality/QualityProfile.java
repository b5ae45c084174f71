package io.lineinspect.core.quality;

import io.lineinspect.core.quality.FrameStats.Statistic;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The spread of {@link FrameStats} over a set of images known to be fit (a model's golden set,
 * simulator frames), and the {@link QualityLimits} suggested from it: what {@code inspect models
 * quality} prints. Off the line; allocates freely.
 *
 * <p>The suggestion keeps a wide margin, because a false reject stops good parts while the golden
 * set never shows every lighting and position the line will:
 *
 * <ul>
 *   <li>a lower limit (brightness, contrast, sharpness) is half the smallest value seen;
 *   <li>{@code maxBrightness} is halfway from the largest value seen to 1;
 *   <li>an upper limit on a share (clipped pixels, flat cells) is twice the largest share seen plus
 *       0.05, at most 1.
 * </ul>
 *
 * <p>Not thread-safe.
 */
public final class QualityProfile {
  private final Map<Statistic, List<Double>> values = new EnumMap<>(Statistic.class);

  public QualityProfile() {
    for (Statistic s : Statistic.values()) {
      values.put(s, new ArrayList<>());
    }
  }

  /** Adds the statistics of the frame {@code stats} computed last. */
  public void add(FrameStats stats) {
    for (Statistic s : Statistic.values()) {
      values.get(s).add(stats.value(s));
    }
  }

  public int count() {
    return values.get(Statistic.BRIGHTNESS).size();
  }

  public double min(Statistic s) {
    return sorted(s)[0];
  }

  public double max(Statistic s) {
    double[] v = sorted(s);
    return v[v.length - 1];
  }

  public double median(Statistic s) {
    double[] v = sorted(s);
    return v[v.length / 2];
  }

  private double[] sorted(Statistic s) {
    List<Double> l = values.get(s);
    if (l.isEmpty()) {
      throw new IllegalStateException("no images in the profile");
    }
    return l.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  /** The limits suggested from this profile (see the class comment for the margins). */
  public QualityLimits suggest() {
    return new QualityLimits(
        min(Statistic.BRIGHTNESS) / 2,
        max(Statistic.BRIGHTNESS) + (1 - max(Statistic.BRIGHTNESS)) / 2,
        min(Statistic.CONTRAST) / 2,
        Math.min(1, 2 * max(Statistic.CLIPPED_FRACTION) + 0.05),
        Math.min(1, 2 * max(Statistic.FLAT_CELL_FRACTION) + 0.05),
        min(Statistic.SHARPNESS) / 2);
  }

  /** A table of min / median / max per statistic, one line each, as YAML comments. */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "# %d images%n", count()));
    b.append(
        String.format(
            Locale.ROOT, "# %-20s %10s %10s %10s%n", "statistic", "min", "median", "max"));
    for (Statistic s : Statistic.values()) {
      b.append(
          String.format(
              Locale.ROOT,
              "# %-20s %10.4f %10.4f %10.4f%n",
              s.name().toLowerCase(Locale.ROOT),
              min(s),
              median(s),
              max(s)));
    }
    return b.toString();
  }
}
