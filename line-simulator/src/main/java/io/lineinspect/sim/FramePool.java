package io.lineinspect.sim;

import io.lineinspect.core.frame.PixelFormat;
import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Frames rendered (or generated) before a load run, so that a camera sending at tens of thousands
 * of frames per second spends no CPU on rendering while the service is being measured. A camera
 * sends them in turn, wrapping around.
 *
 * <p>Immutable after construction; shared read-only by every camera of a run.
 */
public final class FramePool {
  private final int width;
  private final int height;
  private final PixelFormat format;
  private final byte[][] payloads;
  private final boolean[] defective;
  private final boolean groundTruth;

  private FramePool(
      int width,
      int height,
      PixelFormat format,
      byte[][] payloads,
      boolean[] defective,
      boolean groundTruth) {
    this.width = width;
    this.height = height;
    this.format = format;
    this.payloads = payloads;
    this.defective = defective;
    this.groundTruth = groundTruth;
  }

  /**
   * {@code count} parts rendered by a {@link PartRenderer} (encoded when {@code format} is JPEG or
   * PNG), with their ground truth.
   */
  public static FramePool parts(
      int width, int height, PixelFormat format, double defectRate, long seed, int count)
      throws IOException {
    checkCount(count);
    PartRenderer renderer = new PartRenderer(width, height, seed, defectRate);
    PixelFormat raw = format.isEncoded() ? PixelFormat.BGR8 : format;
    byte[][] payloads = new byte[count][];
    boolean[] defective = new boolean[count];
    for (int i = 0; i < count; i++) {
      byte[] pixels = new byte[(int) raw.rawPayloadBytes(width, height)];
      defective[i] = renderer.render(pixels, raw).defective();
      payloads[i] =
          format.isEncoded()
              ? SimulatedCamera.encodeImage(pixels, width, height, raw, format)
              : pixels;
    }
    return new FramePool(width, height, format, payloads, defective, true);
  }

  /**
   * {@code count} raw MONO8 frames of uniform random pixels: for measuring transport and pipeline
   * cost where the content does not matter. They carry no ground truth.
   */
  public static FramePool rawMono8(int width, int height, long seed, int count) {
    checkCount(count);
    if (width < 1 || height < 1 || width > 65535 || height > 65535) {
      throw new IllegalArgumentException(
          "frame size must be 1..65535, got " + width + "x" + height);
    }
    SplittableRandom random = new SplittableRandom(seed);
    byte[][] payloads = new byte[count][];
    for (int i = 0; i < count; i++) {
      payloads[i] = new byte[width * height];
      random.nextBytes(payloads[i]);
    }
    return new FramePool(width, height, PixelFormat.MONO8, payloads, new boolean[count], false);
  }

  private static void checkCount(int count) {
    if (count < 1 || count > 1_000_000) {
      throw new IllegalArgumentException("pool size must be 1..1000000, got " + count);
    }
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public PixelFormat format() {
    return format;
  }

  public int size() {
    return payloads.length;
  }

  /** The payload of frame {@code i mod size}; callers must not modify it. */
  public byte[] payload(long i) {
    return payloads[(int) Math.floorMod(i, (long) payloads.length)];
  }

  /** Ground truth of frame {@code i mod size} (always false for frames without ground truth). */
  public boolean defective(long i) {
    return defective[(int) Math.floorMod(i, (long) defective.length)];
  }

  /** Whether the frames carry ground truth (rendered parts) or not (random raw frames). */
  public boolean hasGroundTruth() {
    return groundTruth;
  }

  /** Largest payload in bytes. */
  public int maxPayloadBytes() {
    int max = 0;
    for (byte[] p : payloads) {
      max = Math.max(max, p.length);
    }
    return max;
  }
}
