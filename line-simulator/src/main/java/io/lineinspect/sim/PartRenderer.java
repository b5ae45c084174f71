package io.lineinspect.sim;

import io.lineinspect.core.frame.PixelFormat;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Renders synthetic machined parts on a moving conveyor belt, deterministically from a seed: a
 * woven belt texture, one bright rounded plate per frame (jittered position, rotation, size and
 * lighting) with a dark outline and four holes, sensor noise, and — with probability {@code
 * defectRate} — one labelled defect: a scratch, a spot, a crack, or a missing hole. Good parts vary
 * as much as defective ones, so a classifier must learn the defects, not the picture.
 *
 * <p>Thread-confined: one renderer per simulated camera (or training-data writer).
 */
public final class PartRenderer {
  private static final DefectKind[] KINDS = {
    DefectKind.SCRATCH, DefectKind.SPOT, DefectKind.CRACK, DefectKind.MISSING_FEATURE
  };

  private final int width;
  private final int height;
  private final long seed;
  private final double defectRate;
  private final SplittableRandom random;
  private final float[] grey;
  private final boolean[] onPart;
  private final double[] beltWeaveX;
  private final double[] beltStripeX;
  private long partIndex;
  private float gain = 1f;

  /**
   * @param width image width, 32..4096
   * @param height image height, 32..4096
   * @param seed the same seed renders the same sequence of parts
   * @param defectRate probability that a part carries a defect, 0..1
   */
  public PartRenderer(int width, int height, long seed, double defectRate) {
    if (width < 32 || width > 4096) {
      throw new IllegalArgumentException("width must be 32..4096, got " + width);
    }
    if (height < 32 || height > 4096) {
      throw new IllegalArgumentException("height must be 32..4096, got " + height);
    }
    if (!(defectRate >= 0 && defectRate <= 1)) {
      throw new IllegalArgumentException("defectRate must be 0..1, got " + defectRate);
    }
    this.width = width;
    this.height = height;
    this.seed = seed;
    this.defectRate = defectRate;
    this.random = new SplittableRandom(seed);
    this.grey = new float[width * height];
    this.onPart = new boolean[width * height];
    this.beltWeaveX = new double[width];
    this.beltStripeX = new double[width];
  }

  /**
   * Scales the light of every part rendered from now on (1 = as trained, below 1 darker): for drift
   * tests. The default 1 renders exactly the same bytes as before this setting existed.
   */
  public PartRenderer lighting(double gain) {
    if (!(gain > 0 && gain <= 4)) {
      throw new IllegalArgumentException("lighting gain must be within (0, 4], got " + gain);
    }
    this.gain = (float) gain;
    return this;
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public long seed() {
    return seed;
  }

  /**
   * Renders the next part into {@code dst} as raw MONO8, BGR8 or RGB8 pixels (rows top to bottom,
   * no padding).
   *
   * @return the ground truth of the part rendered
   */
  public PartLabel render(byte[] dst, PixelFormat format) {
    if (format == null || format.isEncoded()) {
      throw new IllegalArgumentException("render needs a raw pixel format, got " + format);
    }
    long needed = format.rawPayloadBytes(width, height);
    if (dst.length < needed) {
      throw new IllegalArgumentException(
          "dst holds "
              + dst.length
              + " bytes, "
              + width
              + "x"
              + height
              + " "
              + format
              + " needs "
              + needed);
    }
    long index = partIndex++;
    DefectKind defect =
        random.nextDouble() < defectRate ? KINDS[random.nextInt(KINDS.length)] : DefectKind.NONE;
    drawBelt(index);
    Plate plate = drawPlate(defect);
    switch (defect) {
      case SCRATCH -> drawScratch(plate);
      case SPOT -> drawSpot(plate);
      case CRACK -> drawCrack(plate);
      default -> {}
    }
    addNoise();
    write(dst, format, plate);
    return new PartLabel(index, defect);
  }

  /** The plate's pose, in pixels and radians. */
  private record Plate(
      double cx, double cy, double halfW, double halfH, double angle, double scale) {
    double cos() {
      return Math.cos(angle);
    }

    double sin() {
      return Math.sin(angle);
    }

    /** Image x of the plate point (u, v). */
    double x(double u, double v) {
      return cx + u * cos() - v * sin();
    }

    double y(double u, double v) {
      return cy + u * sin() + v * cos();
    }
  }

  private void drawBelt(long index) {
    double shift = (index * 0.37 * width) % width;
    double period = Math.max(6.0, width / 40.0);
    // the weave is separable: the per-column terms once per frame, not once per pixel
    for (int x = 0; x < width; x++) {
      beltWeaveX[x] = 7 * Math.sin(2 * Math.PI * (x + shift) / period);
      beltStripeX[x] = 4 * Math.sin(2 * Math.PI * (x + shift) / (period * 7.3));
    }
    for (int y = 0; y < height; y++) {
      double wy = Math.sin(2 * Math.PI * y / period);
      int row = y * width;
      for (int x = 0; x < width; x++) {
        grey[row + x] = (float) (58 + beltWeaveX[x] * wy + beltStripeX[x]);
      }
    }
  }

  private Plate drawPlate(DefectKind defect) {
    double size = Math.min(width, height);
    double scale = size / 256.0;
    double halfW = size * (0.27 + 0.03 * random.nextDouble());
    double halfH = size * (0.20 + 0.03 * random.nextDouble());
    double cx = width / 2.0 + size * 0.06 * (random.nextDouble() * 2 - 1);
    double cy = height / 2.0 + size * 0.06 * (random.nextDouble() * 2 - 1);
    double angle = (random.nextDouble() * 2 - 1) * 0.5;
    Plate p = new Plate(cx, cy, halfW, halfH, angle, scale);
    double brightness = 165 + 40 * random.nextDouble();
    double gradX = (random.nextDouble() * 2 - 1) * 0.15;
    double gradY = (random.nextDouble() * 2 - 1) * 0.15;
    double corner = size * 0.05;
    double edge = Math.max(1.5, 2.2 * scale);
    double holeR = size * (0.045 + 0.01 * random.nextDouble());
    int missing = defect == DefectKind.MISSING_FEATURE ? random.nextInt(4) : -1;
    double[] hu = {-0.62 * halfW, 0.62 * halfW, -0.62 * halfW, 0.62 * halfW};
    double[] hv = {-0.55 * halfH, -0.55 * halfH, 0.55 * halfH, 0.55 * halfH};
    double cos = p.cos();
    double sin = p.sin();
    // only the plate's bounding box can be on the plate; outside it nothing is drawn
    Arrays.fill(onPart, false);
    double reach = Math.hypot(halfW, halfH) + 2;
    int x0 = (int) Math.max(0, Math.floor(cx - reach));
    int x1 = (int) Math.min(width - 1, Math.ceil(cx + reach));
    int y0 = (int) Math.max(0, Math.floor(cy - reach));
    int y1 = (int) Math.min(height - 1, Math.ceil(cy + reach));
    for (int y = y0; y <= y1; y++) {
      for (int x = x0; x <= x1; x++) {
        double dx = x - cx;
        double dy = y - cy;
        double u = dx * cos + dy * sin;
        double v = -dx * sin + dy * cos;
        double qx = Math.max(Math.abs(u) - halfW + corner, 0);
        double qy = Math.max(Math.abs(v) - halfH + corner, 0);
        double d = Math.sqrt(qx * qx + qy * qy) - corner;
        int i = y * width + x;
        if (d >= 0) {
          continue;
        }
        double hole = holeDistance2(u, v, hu, hv, holeR, missing);
        if (hole >= 0) {
          if (hole > (holeR - edge) * (holeR - edge)) {
            grey[i] = (float) (brightness * 0.45); // the bevel around a hole
          }
          continue; // inside a hole the belt shows through
        }
        double shade = brightness * (1 + gradX * u / halfW + gradY * v / halfH);
        grey[i] = (float) (d > -edge ? shade * 0.55 : shade);
        onPart[i] = d <= -edge;
      }
    }
    return p;
  }

  /** Squared distance to the centre of the hole containing (u, v), or -1 when in none. */
  private static double holeDistance2(
      double u, double v, double[] hu, double[] hv, double holeR, int missing) {
    for (int h = 0; h < hu.length; h++) {
      double dx = u - hu[h];
      double dy = v - hv[h];
      double r2 = dx * dx + dy * dy;
      if (r2 < holeR * holeR && h != missing) {
        return r2;
      }
    }
    return -1;
  }

  private void drawScratch(Plate p) {
    double len = (0.5 + 0.5 * random.nextDouble()) * p.halfW();
    double a = random.nextDouble() * Math.PI;
    double u0 = (random.nextDouble() * 2 - 1) * 0.4 * p.halfW();
    double v0 = (random.nextDouble() * 2 - 1) * 0.3 * p.halfH();
    double du = Math.cos(a) * len / 2;
    double dv = Math.sin(a) * len / 2;
    double delta = (random.nextBoolean() ? -1 : 1) * (45 + 35 * random.nextDouble());
    double thickness = Math.max(1.0, (0.8 + 0.8 * random.nextDouble()) * p.scale());
    line(
        p.x(u0 - du, v0 - dv),
        p.y(u0 - du, v0 - dv),
        p.x(u0 + du, v0 + dv),
        p.y(u0 + du, v0 + dv),
        thickness,
        delta);
  }

  private void drawSpot(Plate p) {
    double u = (random.nextDouble() * 2 - 1) * 0.45 * p.halfW();
    double v = (random.nextDouble() * 2 - 1) * 0.25 * p.halfH();
    double r = (5 + 7 * random.nextDouble()) * p.scale();
    double delta = -(55 + 45 * random.nextDouble());
    double cx = p.x(u, v);
    double cy = p.y(u, v);
    int x0 = (int) Math.max(0, cx - r - 1);
    int x1 = (int) Math.min(width - 1, cx + r + 1);
    int y0 = (int) Math.max(0, cy - r - 1);
    int y1 = (int) Math.min(height - 1, cy + r + 1);
    for (int y = y0; y <= y1; y++) {
      for (int x = x0; x <= x1; x++) {
        double d = Math.hypot(x - cx, y - cy) / r;
        int i = y * width + x;
        if (d < 1 && onPart[i]) {
          grey[i] += (float) (delta * (1 - d * d));
        }
      }
    }
  }

  private void drawCrack(Plate p) {
    double u = (random.nextDouble() * 2 - 1) * 0.4 * p.halfW();
    double v = (random.nextDouble() * 2 - 1) * 0.3 * p.halfH();
    double heading = random.nextDouble() * 2 * Math.PI;
    int segments = 5 + random.nextInt(5);
    double step = (6 + 4 * random.nextDouble()) * p.scale();
    double delta = -(60 + 40 * random.nextDouble());
    double thickness = Math.max(1.0, 1.2 * p.scale());
    for (int s = 0; s < segments; s++) {
      heading += (random.nextDouble() * 2 - 1) * 0.9;
      double nu = u + Math.cos(heading) * step;
      double nv = v + Math.sin(heading) * step;
      line(p.x(u, v), p.y(u, v), p.x(nu, nv), p.y(nu, nv), thickness, delta);
      if (s == segments / 2 && random.nextBoolean()) {
        double bh = heading + (random.nextBoolean() ? 1 : -1) * 0.9;
        double bu = u + Math.cos(bh) * step * 1.5;
        double bv = v + Math.sin(bh) * step * 1.5;
        line(p.x(u, v), p.y(u, v), p.x(bu, bv), p.y(bu, bv), thickness, delta * 0.8);
      }
      u = nu;
      v = nv;
    }
  }

  /** Adds {@code delta} along a thick segment, on the plate surface only. */
  private void line(double x0, double y0, double x1, double y1, double thickness, double delta) {
    double len = Math.hypot(x1 - x0, y1 - y0);
    int steps = (int) Math.ceil(len * 2) + 1;
    int r = (int) Math.ceil(thickness);
    for (int s = 0; s <= steps; s++) {
      double t = s / (double) steps;
      double x = x0 + (x1 - x0) * t;
      double y = y0 + (y1 - y0) * t;
      for (int yy = (int) (y - r); yy <= (int) (y + r); yy++) {
        for (int xx = (int) (x - r); xx <= (int) (x + r); xx++) {
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) {
            continue;
          }
          double d = Math.hypot(xx - x, yy - y);
          int i = yy * width + xx;
          if (d <= thickness / 2 + 0.5 && onPart[i]) {
            // mark each pixel once per line: onPart is cleared for it
            grey[i] += (float) delta;
            onPart[i] = false;
          }
        }
      }
    }
  }

  private void addNoise() {
    for (int i = 0; i < grey.length; i++) {
      grey[i] += (float) ((random.nextDouble() + random.nextDouble() - 1) * 6);
    }
  }

  private void write(byte[] dst, PixelFormat format, Plate plate) {
    if (format.bytesPerPixel() == 1) {
      for (int i = 0; i < grey.length; i++) {
        dst[i] = (byte) clamp(grey[i] * gain);
      }
      return;
    }
    // a slightly warm part under slightly cool light: distinct but close channels
    int first = format == PixelFormat.RGB8 ? 0 : 2;
    int last = 2 - first;
    for (int i = 0, o = 0; i < grey.length; i++, o += 3) {
      float v = grey[i] * gain;
      dst[o + first] = (byte) clamp(v * 1.04f);
      dst[o + 1] = (byte) clamp(v);
      dst[o + last] = (byte) clamp(v * 0.94f);
    }
  }

  private static int clamp(float v) {
    return v < 0 ? 0 : v > 255 ? 255 : (int) v;
  }
}
