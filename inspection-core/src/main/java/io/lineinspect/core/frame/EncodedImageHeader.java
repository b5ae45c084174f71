package io.lineinspect.core.frame;

/**
 * Reads the dimensions an encoded payload declares for itself (the JPEG frame header SOF, the PNG
 * {@code IHDR}) without decoding anything, and refuses a payload whose declared size differs from
 * the frame header's or exceeds the pixel limit. This is the cheap check done at ingest, so that a
 * payload that declares 20000x20000 pixels never reaches a decoder; {@link EncodedImageCheck} runs
 * it first and then checks the whole payload.
 *
 * <p>The payload is read through {@link ByteReader}, so the ingest thread can check a Netty buffer
 * in place (the core imports no Netty). Only the bytes of the marker segments up to the SOF (JPEG)
 * or the first 33 bytes (PNG) are read.
 *
 * <p>Not thread-safe: one instance per thread (one per camera connection at ingest), reused for
 * every frame; it allocates nothing unless it refuses a payload (the reason string).
 */
public final class EncodedImageHeader {
  /** Unsigned byte {@code index} (0-based within the payload) of a payload held somewhere else. */
  @FunctionalInterface
  public interface ByteReader {
    int byteAt(int index);
  }

  static final long PNG_SIGNATURE = 0x89504E470D0A1A0AL;

  private final long maxPixels;
  private final ArrayReader arrayReader = new ArrayReader();

  // Results of the last successful parse.
  private int width;
  private int height;
  private int sofMarker;
  private int sofOffset;

  /**
   * @param maxPixels the largest width × height accepted ({@code ingest.maxImagePixels})
   */
  public EncodedImageHeader(long maxPixels) {
    if (maxPixels < 1) {
      throw new IllegalArgumentException("maxPixels must be at least 1, got " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /** The pixel limit this instance enforces. */
  public long maxPixels() {
    return maxPixels;
  }

  /**
   * The frame header's own size against the limit; null when within it. Applies to every format,
   * raw or encoded.
   */
  public String checkFrameSize(int frameWidth, int frameHeight) {
    long pixels = (long) frameWidth * frameHeight;
    if (pixels > maxPixels) {
      return "frame header declares "
          + frameWidth
          + "x"
          + frameHeight
          + " = "
          + pixels
          + " pixels, above ingest.maxImagePixels "
          + maxPixels;
    }
    return null;
  }

  /** {@link #check(PixelFormat, ByteReader, int, int, int)} of {@code bytes[offset..+length)}. */
  public String check(
      PixelFormat format, byte[] bytes, int offset, int length, int frameWidth, int frameHeight) {
    arrayReader.bytes = bytes;
    arrayReader.offset = offset;
    try {
      return check(format, arrayReader, length, frameWidth, frameHeight);
    } finally {
      arrayReader.bytes = null;
    }
  }

  /**
   * Parses the payload's own header and compares it with the frame header and the pixel limit.
   *
   * @return null when the payload declares exactly {@code frameWidth x frameHeight} within the
   *     limit (for JPEG: in a supported SOF), else the one-line reason it is a BAD_IMAGE
   */
  public String check(
      PixelFormat format, ByteReader in, int length, int frameWidth, int frameHeight) {
    String problem =
        switch (format) {
          case JPEG -> parseJpeg(in, length);
          case PNG -> parsePng(in, length);
          default -> null;
        };
    if (problem != null || !format.isEncoded()) {
      return problem;
    }
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      return format
          + " declares "
          + width
          + "x"
          + height
          + " = "
          + pixels
          + " pixels, above ingest.maxImagePixels "
          + maxPixels;
    }
    if (width != frameWidth || height != frameHeight) {
      return format
          + " header says "
          + width
          + "x"
          + height
          + " but the frame header says "
          + frameWidth
          + "x"
          + frameHeight;
    }
    return null;
  }

  /** Width the payload declared (valid after a {@code check} that returned null). */
  public int width() {
    return width;
  }

  /** Height the payload declared (valid after a {@code check} that returned null). */
  public int height() {
    return height;
  }

  /** JPEG: the SOF marker code (0xC0 or 0xC1) of the last successful parse. */
  int sofMarker() {
    return sofMarker;
  }

  /** JPEG: the offset of the SOF marker's 0xFF of the last successful parse. */
  int sofOffset() {
    return sofOffset;
  }

  private String parsePng(ByteReader in, int length) {
    if (length < 8
        || u32(in, 0) != (int) (PNG_SIGNATURE >>> 32)
        || u32(in, 4) != (int) PNG_SIGNATURE) {
      return "payload does not start with the PNG signature";
    }
    if (length < 33) {
      return "PNG ends after " + length + " bytes, before the end of its IHDR chunk (truncated)";
    }
    if (u32(in, 12) != 0x49484452 /* IHDR */) {
      return "PNG's first chunk is not IHDR";
    }
    if (u32(in, 8) != 13) {
      return "PNG IHDR chunk has length " + Integer.toUnsignedString(u32(in, 8)) + ", not 13";
    }
    int w = u32(in, 16);
    int h = u32(in, 20);
    if (w <= 0 || h <= 0) {
      return "PNG IHDR declares "
          + Integer.toUnsignedString(w)
          + "x"
          + Integer.toUnsignedString(h)
          + " (width and height must be 1..2^31-1)";
    }
    width = w;
    height = h;
    return null;
  }

  private String parseJpeg(ByteReader in, int length) {
    if (length < 4 || in.byteAt(0) != 0xFF || in.byteAt(1) != 0xD8) {
      return "payload does not start with the JPEG SOI marker FFD8";
    }
    int p = 2;
    while (true) {
      if (p >= length) {
        return "JPEG ends at byte " + length + " before its frame header SOF (truncated)";
      }
      if (in.byteAt(p) != 0xFF) {
        return String.format(
            "JPEG has byte 0x%02X at byte %d where a marker was expected", in.byteAt(p), p);
      }
      int markerAt = p;
      while (p < length && in.byteAt(p) == 0xFF) {
        p++; // fill bytes
      }
      if (p >= length) {
        return "JPEG ends at byte " + length + " before its frame header SOF (truncated)";
      }
      int m = in.byteAt(p++);
      if (m == 0xD8 || m == 0xD9 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0x00) {
        return String.format(
            "JPEG has marker 0xFF%02X at byte %d before its frame header SOF", m, markerAt);
      }
      if (p + 2 > length) {
        return "JPEG ends at byte " + length + " inside a marker segment (truncated)";
      }
      int segLen = (in.byteAt(p) << 8) | in.byteAt(p + 1);
      if (segLen < 2) {
        return String.format(
            "JPEG marker 0xFF%02X at byte %d has segment length %d", m, markerAt, segLen);
      }
      if (p + segLen > length) {
        return String.format(
            "JPEG ends at byte %d inside the 0xFF%02X segment that starts at byte %d (truncated)",
            length, m, markerAt);
      }
      if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xCC) {
        if (m != 0xC0 && m != 0xC1) {
          return "unsupported JPEG coding "
              + sofName(m)
              + String.format(" (SOF marker 0xFF%02X)", m)
              + "; configure the camera for baseline JPEG";
        }
        if (segLen < 8) {
          return "JPEG frame header SOF has length " + segLen + ", too short";
        }
        int precision = in.byteAt(p + 2);
        int h = (in.byteAt(p + 3) << 8) | in.byteAt(p + 4);
        int w = (in.byteAt(p + 5) << 8) | in.byteAt(p + 6);
        if (precision != 8) {
          return "unsupported JPEG coding: "
              + precision
              + "-bit samples; configure the camera for baseline JPEG (8-bit)";
        }
        if (h == 0) {
          return "unsupported JPEG coding: height 0 in the frame header (DNL marker)";
        }
        if (w == 0) {
          return "JPEG frame header declares width 0";
        }
        width = w;
        height = h;
        sofMarker = m;
        sofOffset = markerAt;
        return null;
      }
      if (m == 0xDA) {
        return "JPEG has a scan (SOS at byte " + markerAt + ") before any frame header SOF";
      }
      p += segLen;
    }
  }

  static String sofName(int m) {
    return switch (m) {
      case 0xC0 -> "baseline";
      case 0xC1 -> "extended sequential Huffman";
      case 0xC2 -> "progressive Huffman";
      case 0xC3 -> "lossless Huffman";
      case 0xC5 -> "differential sequential Huffman";
      case 0xC6 -> "differential progressive Huffman";
      case 0xC7 -> "differential lossless Huffman";
      case 0xC8 -> "reserved JPG extension";
      case 0xC9 -> "extended sequential arithmetic";
      case 0xCA -> "progressive arithmetic";
      case 0xCB -> "lossless arithmetic";
      case 0xCD -> "differential sequential arithmetic";
      case 0xCE -> "differential progressive arithmetic";
      case 0xCF -> "differential lossless arithmetic";
      default -> String.format("0x%02X", m);
    };
  }

  private static int u32(ByteReader in, int i) {
    return (in.byteAt(i) << 24)
        | (in.byteAt(i + 1) << 16)
        | (in.byteAt(i + 2) << 8)
        | in.byteAt(i + 3);
  }

  private static final class ArrayReader implements ByteReader {
    byte[] bytes;
    int offset;

    @Override
    public int byteAt(int index) {
      return bytes[offset + index] & 0xFF;
    }
  }
}
