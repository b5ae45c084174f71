package io.lineinspect.camera.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/**
 * Encoders for the small protocol v1 messages, and the string rule they share: a string is a u16
 * byte length followed by that many UTF-8 bytes.
 *
 * <pre>
 * HELLO (camera → service)            HELLO_ACK (service → camera)
 *  u16 cameraIdLength                  u32 maxMessageBytes  largest accepted body
 *  ..  cameraId (1..64 bytes)          u32 budgetMs         receipt-to-verdict budget
 *  u16 tokenLength                     u32 idleTimeoutMs    silence after which the camera is dropped
 *  ..  token (0..1024 bytes, reserved) u16 lineNameLength, lineName
 *
 * ERROR (service → camera)            HEARTBEAT (either direction)
 *  u16 errorCode                       empty, or i64 sender time (Unix epoch µs); the service
 *  u8  flags (bit 0: fatal)            echoes a camera's heartbeat body unchanged
 *  u8  reserved 0
 *  u64 sequence (or all ones: none)
 *  u16 messageLength, message
 * </pre>
 */
public final class Messages {
  private Messages() {}

  public static final int ERROR_CODE_OFFSET = 0;
  public static final int ERROR_FLAGS_OFFSET = 2;
  public static final int ERROR_SEQUENCE_OFFSET = 4;
  public static final int ERROR_MESSAGE_OFFSET = 12;
  public static final int ERROR_FLAG_FATAL = 0x01;

  public static final int HELLO_ACK_FIXED_BYTES = 12;

  public static void writeHeader(ByteBuf out, int type, int bodyLength) {
    out.writeShort(ProtocolV1.MAGIC);
    out.writeByte(ProtocolV1.VERSION);
    out.writeByte(type);
    out.writeInt(bodyLength);
  }

  /** Bytes a string takes on the wire (length prefix included). */
  public static int stringBytes(String s) {
    return 2 + ByteBufUtil.utf8Bytes(s);
  }

  public static void writeString(ByteBuf out, String s) {
    int lengthIndex = out.writerIndex();
    out.writeShort(0);
    int n = ByteBufUtil.writeUtf8(out, s);
    out.setShort(lengthIndex, n);
  }

  /**
   * Reads a string at absolute {@code index}; returns null when it does not fit before {@code end}.
   */
  public static String readString(ByteBuf buf, int index, int end) {
    if (index + 2 > end) {
      return null;
    }
    int n = buf.getUnsignedShort(index);
    if (index + 2 + n > end) {
      return null;
    }
    return buf.toString(index + 2, n, StandardCharsets.UTF_8);
  }

  public static void writeHello(ByteBuf out, String cameraId, byte[] token) {
    byte[] id = cameraId.getBytes(StandardCharsets.UTF_8);
    writeHeader(out, ProtocolV1.TYPE_HELLO, 2 + id.length + 2 + token.length);
    out.writeShort(id.length);
    out.writeBytes(id);
    out.writeShort(token.length);
    out.writeBytes(token);
  }

  public static void writeHelloAck(
      ByteBuf out, int maxMessageBytes, int budgetMs, int idleTimeoutMs, String lineName) {
    writeHeader(out, ProtocolV1.TYPE_HELLO_ACK, HELLO_ACK_FIXED_BYTES + stringBytes(lineName));
    out.writeInt(maxMessageBytes);
    out.writeInt(budgetMs);
    out.writeInt(idleTimeoutMs);
    writeString(out, lineName);
  }

  public static void writeError(ByteBuf out, ErrorCode code, long sequence, String message) {
    String m = message.length() > 4000 ? message.substring(0, 4000) : message;
    writeHeader(out, ProtocolV1.TYPE_ERROR, ERROR_MESSAGE_OFFSET + stringBytes(m));
    out.writeShort(code.code());
    out.writeByte(code.fatal() ? ERROR_FLAG_FATAL : 0);
    out.writeByte(0);
    out.writeLong(sequence);
    writeString(out, m);
  }

  public static void writeHeartbeat(ByteBuf out, long timeUs) {
    writeHeader(out, ProtocolV1.TYPE_HEARTBEAT, 8);
    out.writeLong(timeUs);
  }
}
