package io.lineinspect.app.dashboard;

import io.lineinspect.core.audit.ImageCopy;
import io.lineinspect.core.frame.PixelFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * A camera's latest frame as browsers get it: the camera's own JPEG or PNG as sent, or a raw
 * MONO8/BGR8/RGB8 frame scaled down (nearest pixel, to at most {@code side} on its longer edge) and
 * encoded as JPEG, on the {@code dashboard} thread. Immutable.
 */
record Thumb(String camera, long sequence, String contentType, byte[] bytes) {
  static Thumb of(ImageCopy img, int side) throws IOException {
    PixelFormat f = img.format();
    byte[] b = img.bytes();
    if (f == PixelFormat.JPEG || f == PixelFormat.PNG) {
      byte[] copy = java.util.Arrays.copyOf(b, img.length());
      return new Thumb(
          img.camera(), img.frame(), f == PixelFormat.JPEG ? "image/jpeg" : "image/png", copy);
    }
    int w = img.width();
    int h = img.height();
    int bpp = f.bytesPerPixel();
    if (w <= 0 || h <= 0 || (long) w * h * bpp > img.length()) {
      throw new IOException("frame " + w + "x" + h + " " + f + " has " + img.length() + " bytes");
    }
    int step = Math.max(1, (Math.max(w, h) + side - 1) / side);
    int tw = w / step;
    int th = h / step;
    BufferedImage out =
        new BufferedImage(
            tw,
            th,
            f == PixelFormat.MONO8 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < th; y++) {
      int row = y * step * w;
      for (int x = 0; x < tw; x++) {
        int i = (row + x * step) * bpp;
        if (f == PixelFormat.MONO8) {
          int g = b[i] & 0xFF;
          out.getRaster().setSample(x, y, 0, g);
        } else {
          int c0 = b[i] & 0xFF;
          int c1 = b[i + 1] & 0xFF;
          int c2 = b[i + 2] & 0xFF;
          int rgb = f == PixelFormat.RGB8 ? (c0 << 16 | c1 << 8 | c2) : (c2 << 16 | c1 << 8 | c0);
          out.setRGB(x, y, rgb);
        }
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 * 1024);
    if (!ImageIO.write(out, "jpg", bytes)) {
      throw new IOException("no JPEG writer");
    }
    return new Thumb(img.camera(), img.frame(), "image/jpeg", bytes.toByteArray());
  }
}
