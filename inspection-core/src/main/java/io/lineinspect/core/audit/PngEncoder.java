package io.lineinspect.core.audit;

import io.lineinspect.core.frame.PixelFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG encoder for the archive's raw frames (MONO8 as 8-bit grey, BGR8/RGB8 as 8-bit RGB):
 * one IHDR, one IDAT, IEND; every row with the "Up" filter (the difference to the row above: one
 * subtraction per byte, and what makes a camera image compress) and zlib at deflate level 1.
 *
 * <p>It replaces {@code ImageIO.write(..., "png", ...)}, whose writer tries all five PNG filters on
 * every row and deflates at level 4: 2.9 ms per 256x256 MONO8 part image on this machine, the
 * largest non-model cost per FAIL frame (benchmarks/README.md#levers-issue-16). Lossless like any
 * PNG; files are read by any PNG decoder ({@code ImageCopyTest} reads them back with ImageIO).
 *
 * <p>Not thread-safe; one per writing thread (the buffers are reused between images).
 */
final class PngEncoder {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  private static final int FILTER_UP = 2;

  private final Deflater deflater = new Deflater(1);
  private final CRC32 crc = new CRC32();
  private final byte[] header = new byte[8];
  private byte[] filtered = new byte[0];
  private byte[] compressed = new byte[0];

  /** Encodes {@code width x height} pixels of {@code format} from {@code bytes} to {@code out}. */
  void write(byte[] bytes, int length, int width, int height, PixelFormat format, OutputStream out)
      throws IOException {
    int channels = format == PixelFormat.MONO8 ? 1 : 3;
    if (format.isEncoded() || width < 1 || height < 1) {
      throw new IOException("cannot encode " + format + " " + width + "x" + height + " as PNG");
    }
    int stride = width * channels;
    long need = (long) stride * height;
    if (need > length || need > bytes.length) {
      throw new IOException(
          "frame of " + length + " bytes is too short for " + width + "x" + height + " " + format);
    }
    int rowBytes = stride + 1;
    int total = rowBytes * height;
    if (filtered.length < total) {
      filtered = new byte[total];
    }
    boolean bgr = format == PixelFormat.BGR8;
    for (int y = 0; y < height; y++) {
      int src = y * stride;
      int dst = y * rowBytes;
      filtered[dst++] = FILTER_UP;
      if (bgr) {
        for (int x = 0; x < stride; x += 3) {
          filtered[dst + x] = bytes[src + x + 2];
          filtered[dst + x + 1] = bytes[src + x + 1];
          filtered[dst + x + 2] = bytes[src + x];
        }
      } else {
        System.arraycopy(bytes, src, filtered, dst, stride);
      }
    }
    // Up, from the last row backwards so every row still sees its predecessor's raw pixels.
    for (int y = height - 1; y >= 1; y--) {
      int row = y * rowBytes + 1;
      int above = row - rowBytes;
      for (int x = 0; x < stride; x++) {
        filtered[row + x] = (byte) (filtered[row + x] - filtered[above + x]);
      }
    }
    deflater.reset();
    deflater.setInput(filtered, 0, total);
    deflater.finish();
    int bound = total + total / 1000 + 64;
    if (compressed.length < bound) {
      compressed = new byte[bound];
    }
    int n = 0;
    while (!deflater.finished()) {
      if (n == compressed.length) {
        byte[] grown = new byte[compressed.length * 2];
        System.arraycopy(compressed, 0, grown, 0, n);
        compressed = grown;
      }
      n += deflater.deflate(compressed, n, compressed.length - n);
    }
    out.write(SIGNATURE);
    byte[] ihdr = new byte[13];
    putInt(ihdr, 0, width);
    putInt(ihdr, 4, height);
    ihdr[8] = 8; // bit depth
    ihdr[9] = (byte) (channels == 1 ? 0 : 2); // grey or truecolour
    // compression 0, filter method 0, no interlace
    chunk(out, "IHDR", ihdr, ihdr.length);
    chunk(out, "IDAT", compressed, n);
    chunk(out, "IEND", compressed, 0);
  }

  /** Frees the native deflate state. */
  void close() {
    deflater.end();
  }

  private void chunk(OutputStream out, String type, byte[] data, int len) throws IOException {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    putInt(header, 0, len);
    System.arraycopy(t, 0, header, 4, 4);
    out.write(header, 0, 8);
    out.write(data, 0, len);
    crc.reset();
    crc.update(t);
    crc.update(data, 0, len);
    putInt(header, 0, (int) crc.getValue());
    out.write(header, 0, 4);
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }
}
