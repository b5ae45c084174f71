package io.lineinspect.core.frame;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.plugins.jpeg.JPEGImageWriteParam;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.w3c.dom.NodeList;

/**
 * Test images: a part (a bright disc with a hole, on a textured belt) with an optional dark scratch
 * defect low in the image, encoded with {@code javax.imageio} in the variants the tests need (JPEG
 * quality, 4:2:0 / 4:4:4 sampling, restart intervals, optimised Huffman tables, progressive; PNG
 * grey / RGB / palette / 16-bit, compression level, Adam7), plus byte patches.
 */
public final class TestImages {
  private TestImages() {}

  /** Image types the renderer produces. */
  public enum Kind {
    GREY,
    RGB
  }

  public static BufferedImage part(int w, int h, Kind kind, long seed, boolean defect) {
    BufferedImage img =
        new BufferedImage(
            w, h, kind == Kind.GREY ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    Random r = new Random(seed);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = 40 + r.nextInt(30);
        int rgb =
            kind == Kind.GREY ? (v << 16) | (v << 8) | v : (v << 16) | ((v + 10) << 8) | (v / 2);
        img.setRGB(x, y, rgb);
      }
    }
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    int d = Math.min(w, h) * 3 / 4;
    g.setColor(new Color(200, 190, 170));
    g.fillOval((w - d) / 2, (h - d) / 2, d, d);
    g.setColor(new Color(60, 60, 70));
    g.fillOval(w / 2 - d / 8, h / 2 - d / 8, d / 4, d / 4);
    if (defect) {
      g.setColor(new Color(20, 20, 20));
      g.setStroke(new BasicStroke(Math.max(2, w / 64f)));
      int y0 = h * 3 / 4;
      g.drawLine(w / 3 + r.nextInt(w / 8), y0, w * 2 / 3, y0 + h / 10);
    }
    g.dispose();
    return img;
  }

  /**
   * @param quality 0..1
   * @param subsampled4x2x0 colour only: 4:2:0 (the ImageIO default) or 4:4:4
   * @param restartInterval MCUs per restart interval, 0 for none
   */
  public static byte[] jpeg(
      BufferedImage img,
      float quality,
      boolean subsampled4x2x0,
      int restartInterval,
      boolean optimiseHuffman,
      boolean progressive) {
    try {
      ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
      JPEGImageWriteParam p = new JPEGImageWriteParam(null);
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(quality);
      p.setOptimizeHuffmanTables(optimiseHuffman);
      if (progressive) {
        p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      }
      IIOMetadata meta = w.getDefaultImageMetadata(new ImageTypeSpecifier(img), p);
      String f = "javax_imageio_jpeg_image_1.0";
      IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(f);
      IIOMetadataNode seq = (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
      if (!subsampled4x2x0) {
        NodeList comps = root.getElementsByTagName("componentSpec");
        for (int i = 0; i < comps.getLength(); i++) {
          IIOMetadataNode c = (IIOMetadataNode) comps.item(i);
          c.setAttribute("HsamplingFactor", "1");
          c.setAttribute("VsamplingFactor", "1");
        }
      }
      if (restartInterval > 0) {
        IIOMetadataNode dri = new IIOMetadataNode("dri");
        dri.setAttribute("interval", Integer.toString(restartInterval));
        seq.insertBefore(dri, seq.getElementsByTagName("sos").item(0));
      }
      meta.setFromTree(f, root);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
        w.setOutput(ios);
        w.write(null, new IIOImage(img, null, meta), p);
      }
      w.dispose();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A baseline JPEG with ImageIO's defaults at this quality. */
  public static byte[] jpeg(BufferedImage img, float quality) {
    return jpeg(img, quality, true, 0, false, false);
  }

  /**
   * @param compression 0 (fastest, largest) .. 1 (smallest)
   */
  public static byte[] png(BufferedImage img, float compression, boolean interlaced) {
    try {
      ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(compression);
      p.setProgressiveMode(
          interlaced ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
        w.setOutput(ios);
        w.write(null, new IIOImage(img, null, null), p);
      }
      w.dispose();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The image as a 16-level palette image. */
  public static BufferedImage palette(BufferedImage src) {
    byte[] lv = new byte[16];
    for (int i = 0; i < 16; i++) {
      lv[i] = (byte) (i * 17);
    }
    BufferedImage out =
        new BufferedImage(
            src.getWidth(),
            src.getHeight(),
            BufferedImage.TYPE_BYTE_INDEXED,
            new IndexColorModel(8, 16, lv, lv, lv));
    Graphics2D g = out.createGraphics();
    g.drawImage(src, 0, 0, null);
    g.dispose();
    return out;
  }

  /** The image as 16-bit grey. */
  public static BufferedImage grey16(BufferedImage src) {
    BufferedImage out =
        new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_USHORT_GRAY);
    Graphics2D g = out.createGraphics();
    g.drawImage(src, 0, 0, null);
    g.dispose();
    return out;
  }

  // ---- byte surgery ----

  /** Offset of the first byte of JPEG marker {@code code} (its 0xFF), walking segments. */
  public static int jpegMarker(byte[] j, int code) {
    int p = 2;
    while (p + 4 <= j.length) {
      int m = j[p + 1] & 0xFF;
      if (m == code) {
        return p;
      }
      if (m == 0xDA) {
        return -1;
      }
      p += 2 + (((j[p + 2] & 0xFF) << 8) | (j[p + 3] & 0xFF));
    }
    return -1;
  }

  /** [first, end) of the entropy-coded data: after the SOS segment, before the final EOI. */
  public static int[] jpegScan(byte[] j) {
    int sos = jpegMarker(j, 0xDA);
    int start = sos + 2 + (((j[sos + 2] & 0xFF) << 8) | (j[sos + 3] & 0xFF));
    return new int[] {start, j.length - 2};
  }

  /** A copy whose SOF declares {@code w x h}. */
  public static byte[] withJpegSize(byte[] j, int w, int h) {
    byte[] c = j.clone();
    int sof = jpegMarker(c, 0xC0);
    if (sof < 0) {
      sof = jpegMarker(c, 0xC2);
    }
    c[sof + 5] = (byte) (h >> 8);
    c[sof + 6] = (byte) h;
    c[sof + 7] = (byte) (w >> 8);
    c[sof + 8] = (byte) w;
    return c;
  }

  /** A copy whose IHDR declares {@code w x h}, with its CRC fixed. */
  public static byte[] withPngSize(byte[] png, int w, int h) {
    byte[] c = png.clone();
    putInt(c, 16, w);
    putInt(c, 20, h);
    fixCrc(c, 8);
    return c;
  }

  /** Recomputes the CRC of the chunk at {@code at}. */
  public static void fixCrc(byte[] png, int at) {
    int len = getInt(png, at);
    CRC32 crc = new CRC32();
    crc.update(png, at + 4, 4 + len);
    putInt(png, at + 8 + len, (int) crc.getValue());
  }

  /** Offset of the first chunk of this type, or -1. */
  public static int pngChunk(byte[] png, String type) {
    int p = 8;
    while (p + 8 <= png.length) {
      String t = new String(png, p + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
      if (t.equals(type)) {
        return p;
      }
      p += 12 + getInt(png, p);
    }
    return -1;
  }

  public static int getInt(byte[] b, int i) {
    return ((b[i] & 0xFF) << 24)
        | ((b[i + 1] & 0xFF) << 16)
        | ((b[i + 2] & 0xFF) << 8)
        | (b[i + 3] & 0xFF);
  }

  public static void putInt(byte[] b, int i, int v) {
    b[i] = (byte) (v >> 24);
    b[i + 1] = (byte) (v >> 16);
    b[i + 2] = (byte) (v >> 8);
    b[i + 3] = (byte) v;
  }
}
