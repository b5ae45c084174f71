package io.lineinspect.core.metrics;

import io.lineinspect.core.config.DriftConfig;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;

/**
 * Watches whether the line still looks like what the model was validated on: the distributions of
 * the model's scores and of three image statistics of every {@code sampleEvery}-th frame —
 * brightness (mean grey), contrast (grey standard deviation) and sharpness (mean absolute
 * Laplacian) — are compared with a baseline of the first {@code baselineSamples} samples by the
 * population stability index (PSI) over the last {@code windowSamples}. Above {@code psiAlarm} the
 * drift alarm is raised (metric + log). Image statistics come from raw frames (MONO8, BGR8, RGB8;
 * the green channel of colour); encoded frames contribute scores only.
 *
 * <p>Called on the verdict path: the statistics of a sampled frame read every 4th pixel of every
 * 4th row (≈ 4 000 pixels for 256×256), no allocation; thread-safe.
 */
public final class DriftMonitor implements VerdictListener {
  private static final System.Logger LOG = System.getLogger(DriftMonitor.class.getName());
  private static final int STRIDE = 4;
  private static final double EPSILON = 1e-4;

  /** What is compared with the baseline. */
  public enum Feature {
    SCORE(0, 1, 10),
    BRIGHTNESS(0, 256, 16),
    CONTRAST(0, 128, 16),
    SHARPNESS(0, 16, 32);

    final double min;
    final double max;
    final int bins;

    Feature(double min, double max, int bins) {
      this.min = min;
      this.max = max;
      this.bins = bins;
    }

    int bin(double v) {
      int b = (int) ((v - min) / (max - min) * bins);
      return b < 0 ? 0 : Math.min(bins - 1, b);
    }
  }

  private final DriftConfig config;
  private final Dist[] dists = new Dist[Feature.values().length];
  private volatile boolean alarm;
  private final java.util.concurrent.atomic.AtomicLong alarms =
      new java.util.concurrent.atomic.AtomicLong();

  public DriftMonitor(DriftConfig config) {
    this.config = config;
    for (Feature f : Feature.values()) {
      dists[f.ordinal()] = new Dist(f, config.baselineSamples(), config.windowSamples());
    }
  }

  @Override
  public void onVerdict(VerdictView v) {
    if (v.sequence() % config.sampleEvery() != 0) {
      return;
    }
    if (!Float.isNaN(v.score())) {
      record(Feature.SCORE, v.score());
    }
    byte[] p = v.payload();
    PixelFormat f = v.format();
    int w = v.width();
    int h = v.height();
    if (p == null || f == null || f.isEncoded() || w < 3 * STRIDE || h < 3 * STRIDE) {
      return;
    }
    int bpp = f.bytesPerPixel();
    int channel = bpp == 1 ? 0 : 1;
    if ((long) w * h * bpp > v.payloadLength()) {
      return;
    }
    long n = 0;
    double sum = 0;
    double sumSq = 0;
    double lap = 0;
    for (int y = STRIDE; y < h - STRIDE; y += STRIDE) {
      for (int x = STRIDE; x < w - STRIDE; x += STRIDE) {
        int c = px(p, w, bpp, channel, x, y);
        sum += c;
        sumSq += (double) c * c;
        lap +=
            Math.abs(
                4 * c
                    - px(p, w, bpp, channel, x - 1, y)
                    - px(p, w, bpp, channel, x + 1, y)
                    - px(p, w, bpp, channel, x, y - 1)
                    - px(p, w, bpp, channel, x, y + 1));
        n++;
      }
    }
    double mean = sum / n;
    record(Feature.BRIGHTNESS, mean);
    record(Feature.CONTRAST, Math.sqrt(Math.max(0, sumSq / n - mean * mean)));
    record(Feature.SHARPNESS, lap / n);
  }

  private static int px(byte[] p, int w, int bpp, int channel, int x, int y) {
    return p[(y * w + x) * bpp + channel] & 0xFF;
  }

  private void record(Feature f, double value) {
    Dist d = dists[f.ordinal()];
    double psi;
    synchronized (d) {
      d.add(f.bin(value));
      psi = d.psi(config.windowSamples() / 2);
    }
    if (psi > config.psiAlarm() && !alarm) {
      alarm = true;
      alarms.incrementAndGet();
      LOG.log(
          Level.WARNING,
          "DRIFT: {0} has moved away from its baseline (PSI {1} > {2}): the line no longer looks"
              + " like what the model was validated on; check lighting, camera, parts",
          f,
          String.format(java.util.Locale.ROOT, "%.2f", psi),
          config.psiAlarm());
    }
  }

  /** The PSI of each feature now (NaN until the baseline and half a window are collected). */
  public Map<Feature, Double> psi() {
    Map<Feature, Double> m = new EnumMap<>(Feature.class);
    for (Feature f : Feature.values()) {
      Dist d = dists[f.ordinal()];
      synchronized (d) {
        m.put(f, d.psi(config.windowSamples() / 2));
      }
    }
    return m;
  }

  /** True once any feature's PSI crossed {@code psiAlarm}, until {@link #rebaseline()}. */
  public boolean alarm() {
    return alarm;
  }

  public long alarms() {
    return alarms.get();
  }

  /** Samples taken so far for a feature (baseline and window). */
  public long samples(Feature f) {
    Dist d = dists[f.ordinal()];
    synchronized (d) {
      return d.total;
    }
  }

  /**
   * Forgets baseline and window (a new model, a re-lit line): the next samples form the baseline.
   */
  public void rebaseline() {
    for (Dist d : dists) {
      synchronized (d) {
        d.clear();
      }
    }
    alarm = false;
  }

  /** Baseline histogram, then a sliding window of bin indices with its histogram. */
  private static final class Dist {
    final int[] baseline;
    final int[] window;
    final int[] ring;
    final int baselineSize;
    int baselineCount;
    int ringPos;
    int ringCount;
    long total;

    Dist(Feature f, int baselineSize, int windowSize) {
      baseline = new int[f.bins];
      window = new int[f.bins];
      ring = new int[windowSize];
      this.baselineSize = baselineSize;
    }

    void add(int bin) {
      total++;
      if (baselineCount < baselineSize) {
        baseline[bin]++;
        baselineCount++;
        return;
      }
      if (ringCount == ring.length) {
        window[ring[ringPos]]--;
      } else {
        ringCount++;
      }
      ring[ringPos] = bin;
      window[bin]++;
      ringPos = (ringPos + 1) % ring.length;
    }

    double psi(int minWindow) {
      if (baselineCount < baselineSize || ringCount < minWindow) {
        return Double.NaN;
      }
      double psi = 0;
      for (int i = 0; i < baseline.length; i++) {
        double b = (baseline[i] + EPSILON) / (baselineCount + EPSILON * baseline.length);
        double w = (window[i] + EPSILON) / (ringCount + EPSILON * baseline.length);
        psi += (w - b) * Math.log(w / b);
      }
      return psi;
    }

    void clear() {
      java.util.Arrays.fill(baseline, 0);
      java.util.Arrays.fill(window, 0);
      baselineCount = 0;
      ringPos = 0;
      ringCount = 0;
      total = 0;
    }
  }
}
