package io.lineinspect.core.frame;

/**
 * How a frame's payload encodes its pixels. The wire code is part of protocol v1 ({@code
 * docs/protocol.md}) and must never change for an existing constant.
 */
public enum PixelFormat {
  /** 8-bit grey, one byte per pixel, rows top to bottom, no padding. */
  MONO8(1, 1),
  /** 8-bit blue, green, red interleaved, three bytes per pixel, no padding. */
  BGR8(2, 3),
  /** 8-bit red, green, blue interleaved, three bytes per pixel, no padding. */
  RGB8(3, 3),
  /** A complete JPEG (JFIF/EXIF) file. */
  JPEG(16, 0),
  /** A complete PNG file. */
  PNG(17, 0);

  private static final PixelFormat[] BY_CODE = new PixelFormat[256];

  static {
    for (PixelFormat f : values()) {
      BY_CODE[f.code] = f;
    }
  }

  private final int code;
  private final int bytesPerPixel;

  PixelFormat(int code, int bytesPerPixel) {
    this.code = code;
    this.bytesPerPixel = bytesPerPixel;
  }

  /** The one-byte code used on the wire. */
  public int code() {
    return code;
  }

  /** Bytes per pixel for raw formats, 0 for encoded (compressed) formats. */
  public int bytesPerPixel() {
    return bytesPerPixel;
  }

  /** True for JPEG and PNG: the payload size does not follow from width and height. */
  public boolean isEncoded() {
    return bytesPerPixel == 0;
  }

  /** The payload size a raw frame of this size must have; -1 for encoded formats. */
  public long rawPayloadBytes(int width, int height) {
    return isEncoded() ? -1 : (long) width * height * bytesPerPixel;
  }

  /** The format for a wire code, or {@code null} when the code is unknown. */
  public static PixelFormat fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
