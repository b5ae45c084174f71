package io.lineinspect.core.inference.builtin;

import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Turns a frame of any protocol pixel format into a {@code side × side} grey image with values in
 * 0..1 (box-averaged), written into the frame's input buffer. Raw formats are converted without
 * allocating; JPEG and PNG are decoded with {@code javax.imageio} (allocates; the DJL backend uses
 * OpenCV instead).
 *
 * <p>Owned by one preprocess worker.
 */
final class GreyDownsampler implements Preprocessor {
  private final int side;
  private final float[] sums;
  private final int[] counts;

  GreyDownsampler(int side) {
    this.side = side;
    this.sums = new float[side * side];
    this.counts = new int[side * side];
    warmUpDecoders();
  }

  /**
   * The first JPEG/PNG decode loads and initialises {@code javax.imageio} (tens to hundreds of
   * milliseconds): pay that before the first frame arrives, not out of a frame's budget.
   */
  private static void warmUpDecoders() {
    BufferedImage tiny = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (String format : new String[] {"jpeg", "png"}) {
      try {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(tiny, format, out);
        ImageIO.read(new ByteArrayInputStream(out.toByteArray()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot initialise the " + format + " decoder", e);
      }
    }
  }

  @Override
  public boolean preprocess(FrameEvent frame) {
    PixelFormat format = frame.format();
    int w = frame.width();
    int h = frame.height();
    java.util.Arrays.fill(sums, 0f);
    java.util.Arrays.fill(counts, 0);
    BufferedImage image = null;
    if (format.isEncoded()) {
      try {
        image = ImageIO.read(new ByteArrayInputStream(frame.payload(), 0, frame.payloadLength()));
      } catch (IOException | RuntimeException e) {
        image = null;
      }
      if (image == null) {
        frame.rejectBadImage("payload is not a decodable " + format + " image");
        return false;
      }
      if (image.getWidth() != w || image.getHeight() != h) {
        frame.rejectBadImage(
            format
                + " image is "
                + image.getWidth()
                + "x"
                + image.getHeight()
                + " but the frame header says "
                + w
                + "x"
                + h);
        return false;
      }
      for (int y = 0; y < h; y++) {
        int cell = (y * side / h) * side;
        for (int x = 0; x < w; x++) {
          int rgb = image.getRGB(x, y);
          int grey =
              (((rgb >> 16) & 0xFF) * 77 + ((rgb >> 8) & 0xFF) * 150 + (rgb & 0xFF) * 29) >> 8;
          int c = cell + x * side / w;
          sums[c] += grey;
          counts[c]++;
        }
      }
    } else {
      byte[] p = frame.payload();
      int bpp = format.bytesPerPixel();
      int rIndex = format == PixelFormat.RGB8 ? 0 : 2;
      int bIndex = 2 - rIndex;
      for (int y = 0; y < h; y++) {
        int cell = (y * side / h) * side;
        int row = y * w * bpp;
        for (int x = 0; x < w; x++) {
          int o = row + x * bpp;
          int grey =
              bpp == 1
                  ? p[o] & 0xFF
                  : ((p[o + rIndex] & 0xFF) * 77
                          + (p[o + 1] & 0xFF) * 150
                          + (p[o + bIndex] & 0xFF) * 29)
                      >> 8;
          int c = cell + x * side / w;
          sums[c] += grey;
          counts[c]++;
        }
      }
    }
    float[] input = frame.input(side * side);
    for (int i = 0; i < sums.length; i++) {
      // A frame smaller than side x side leaves cells without a source pixel: take the nearest one
      // (before, they stayed black, and the fitness check rightly refused such an input).
      input[i] =
          counts[i] == 0
              ? nearestGrey(frame, image, (i % side) * w / side, (i / side) * h / side) / 255f
              : sums[i] / (255f * counts[i]);
    }
    return true;
  }

  private static int nearestGrey(FrameEvent frame, BufferedImage image, int x, int y) {
    if (image != null) {
      int rgb = image.getRGB(x, y);
      return (((rgb >> 16) & 0xFF) * 77 + ((rgb >> 8) & 0xFF) * 150 + (rgb & 0xFF) * 29) >> 8;
    }
    PixelFormat format = frame.format();
    byte[] p = frame.payload();
    int bpp = format.bytesPerPixel();
    int o = (y * frame.width() + x) * bpp;
    if (bpp == 1) {
      return p[o] & 0xFF;
    }
    int rIndex = format == PixelFormat.RGB8 ? 0 : 2;
    return ((p[o + rIndex] & 0xFF) * 77 + (p[o + 1] & 0xFF) * 150 + (p[o + 2 - rIndex] & 0xFF) * 29)
        >> 8;
  }
}
