package io.lineinspect.core.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.core.frame.PixelFormat;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archived raw frames are PNG at deflate level 1: still lossless, pixel for pixel. */
class ImageCopyTest {
  @TempDir Path dir;

  @Test
  void shouldWriteRawMono8AsLosslessPng() throws Exception {
    int w = 97;
    int h = 61;
    byte[] px = new byte[w * h];
    new Random(7).nextBytes(px);
    for (int i = 0; i < px.length / 2; i++) {
      px[i] = (byte) (i % 13); // a smooth half, which deflate does compress
    }
    Path file = dir.resolve("f.png");
    ImageCopy.writeImage(file, px, px.length, w, h, PixelFormat.MONO8);
    BufferedImage img = ImageIO.read(file.toFile());
    assertEquals(w, img.getWidth());
    assertEquals(h, img.getHeight());
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
    assertArrayEquals(px, ((DataBufferByte) img.getRaster().getDataBuffer()).getData());
  }

  @Test
  void shouldWriteRawRgb8AsLosslessPng() throws Exception {
    int w = 33;
    int h = 20;
    byte[] px = new byte[w * h * 3];
    new Random(8).nextBytes(px);
    Path file = dir.resolve("c.png");
    ImageCopy.writeImage(file, px, px.length, w, h, PixelFormat.RGB8);
    BufferedImage img = ImageIO.read(file.toFile());
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = 3 * (y * w + x);
        int rgb = ((px[i] & 0xFF) << 16) | ((px[i + 1] & 0xFF) << 8) | (px[i + 2] & 0xFF);
        assertEquals(rgb, img.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
      }
    }
  }

  @Test
  void shouldWriteRawBgr8AsLosslessPngAndRefuseATruncatedFrame() throws Exception {
    int w = 16;
    int h = 9;
    byte[] px = new byte[w * h * 3];
    new Random(9).nextBytes(px);
    Path file = dir.resolve("b.png");
    ImageCopy.writeImage(file, px, px.length, w, h, PixelFormat.BGR8);
    BufferedImage img = ImageIO.read(file.toFile());
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = 3 * (y * w + x);
        int rgb = ((px[i + 2] & 0xFF) << 16) | ((px[i + 1] & 0xFF) << 8) | (px[i] & 0xFF);
        assertEquals(rgb, img.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
      }
    }
    Path torn = dir.resolve("t.png");
    org.junit.jupiter.api.Assertions.assertThrows(
        java.io.IOException.class,
        () -> ImageCopy.writeImage(torn, px, px.length - 1, w, h, PixelFormat.BGR8));
    org.junit.jupiter.api.Assertions.assertFalse(java.nio.file.Files.exists(torn));
  }
}
