package io.lineinspect.camera.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Reads and writes the body of a FRAME message in place. One instance per decoder, re-wrapped for
 * each frame; nothing is copied or allocated.
 *
 * <pre>
 *  offset size  field
 *   0      8    sequence        u64  camera's frame counter, increasing
 *   8      8    captureTimeUs   i64  capture time, Unix epoch microseconds (camera clock), 0 = unknown
 *  16      8    encoderCount    i64  conveyor encoder count at capture, valid if flags bit 0
 *  24      2    width           u16  pixels, 1..65535
 *  26      2    height          u16  pixels, 1..65535
 *  28      1    pixelFormat     u8   1 MONO8, 2 BGR8, 3 RGB8, 16 JPEG, 17 PNG
 *  29      1    flags           u8   bit 0: encoderCount valid; other bits 0
 *  30      2    reserved        u16  0
 *  32      4    payloadLength   u32  must equal bodyLength - 36
 *  36      n    payload              pixels (raw formats) or the encoded file
 * </pre>
 */
public final class FrameFlyweight {
  public static final int SEQUENCE_OFFSET = 0;
  public static final int CAPTURE_TIME_OFFSET = 8;
  public static final int ENCODER_OFFSET = 16;
  public static final int WIDTH_OFFSET = 24;
  public static final int HEIGHT_OFFSET = 26;
  public static final int FORMAT_OFFSET = 28;
  public static final int FLAGS_OFFSET = 29;
  public static final int RESERVED_OFFSET = 30;
  public static final int PAYLOAD_LENGTH_OFFSET = 32;
  public static final int PAYLOAD_OFFSET = 36;
  public static final int FIXED_BYTES = PAYLOAD_OFFSET;

  public static final int FLAG_ENCODER_VALID = 0x01;

  private ByteBuf buf;
  private int offset;

  /** Points this flyweight at a FRAME body starting at {@code offset} (absolute index). */
  public FrameFlyweight wrap(ByteBuf buf, int offset) {
    this.buf = buf;
    this.offset = offset;
    return this;
  }

  public long sequence() {
    return buf.getLong(offset + SEQUENCE_OFFSET);
  }

  public long captureTimeUs() {
    return buf.getLong(offset + CAPTURE_TIME_OFFSET);
  }

  public long encoderCount() {
    return buf.getLong(offset + ENCODER_OFFSET);
  }

  public int width() {
    return buf.getUnsignedShort(offset + WIDTH_OFFSET);
  }

  public int height() {
    return buf.getUnsignedShort(offset + HEIGHT_OFFSET);
  }

  public int pixelFormatCode() {
    return buf.getUnsignedByte(offset + FORMAT_OFFSET);
  }

  public int flags() {
    return buf.getUnsignedByte(offset + FLAGS_OFFSET);
  }

  public boolean encoderValid() {
    return (flags() & FLAG_ENCODER_VALID) != 0;
  }

  public long payloadLength() {
    return buf.getUnsignedInt(offset + PAYLOAD_LENGTH_OFFSET);
  }

  /** Absolute index of the first payload byte. */
  public int payloadIndex() {
    return offset + PAYLOAD_OFFSET;
  }

  /**
   * Appends a complete FRAME message (header and body) to {@code out}; used by cameras and tests.
   */
  public static void writeMessage(
      ByteBuf out,
      long sequence,
      long captureTimeUs,
      boolean encoderValid,
      long encoderCount,
      int width,
      int height,
      int pixelFormatCode,
      byte[] payload,
      int payloadOffset,
      int payloadLength) {
    Messages.writeHeader(out, ProtocolV1.TYPE_FRAME, FIXED_BYTES + payloadLength);
    out.writeLong(sequence);
    out.writeLong(captureTimeUs);
    out.writeLong(encoderValid ? encoderCount : 0);
    out.writeShort(width);
    out.writeShort(height);
    out.writeByte(pixelFormatCode);
    out.writeByte(encoderValid ? FLAG_ENCODER_VALID : 0);
    out.writeShort(0);
    out.writeInt(payloadLength);
    out.writeBytes(payload, payloadOffset, payloadLength);
  }
}
