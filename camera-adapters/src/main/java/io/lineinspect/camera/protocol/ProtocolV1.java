package io.lineinspect.camera.protocol;

/**
 * Constants of the line-camera wire protocol, version 1 ({@code docs/protocol.md} is the normative
 * description; this class and that file must agree).
 *
 * <p>Every message starts with the same 8-byte header; all integers are big-endian (network byte
 * order):
 *
 * <pre>
 *  0       2       3       4               8
 *  +-------+-------+-------+---------------+---------------- - -
 *  | magic |version| type  |  bodyLength   |  body (bodyLength bytes)
 *  | 'L''I'|  0x01 |  u8   |      u32      |
 *  +-------+-------+-------+---------------+---------------- - -
 * </pre>
 */
public final class ProtocolV1 {
  private ProtocolV1() {}

  /** 'L' 'I' — every message starts with these two bytes. */
  public static final int MAGIC = 0x4C49;

  public static final int VERSION = 1;

  public static final int HEADER_BYTES = 8;
  public static final int MAGIC_OFFSET = 0;
  public static final int VERSION_OFFSET = 2;
  public static final int TYPE_OFFSET = 3;
  public static final int BODY_LENGTH_OFFSET = 4;

  /** Camera → service: first message on a connection. */
  public static final int TYPE_HELLO = 0x01;

  /** Service → camera: answer to HELLO. */
  public static final int TYPE_HELLO_ACK = 0x02;

  /** Camera → service: one image of one part. */
  public static final int TYPE_FRAME = 0x03;

  /** Service → camera: the verdict for one frame. */
  public static final int TYPE_VERDICT = 0x04;

  /** Service → camera: something was wrong with what the camera sent. */
  public static final int TYPE_ERROR = 0x05;

  /** Either direction: liveness; the service echoes a camera's heartbeat. */
  public static final int TYPE_HEARTBEAT = 0x06;

  /**
   * Largest camera id in bytes. Allowed characters: {@code A-Z a-z 0-9 . _ : -}, not starting with
   * {@code .} (so {@code .} and {@code ..} are no ids: an id names files in the image archive).
   */
  public static final int MAX_CAMERA_ID_BYTES = 64;

  /** Largest reserved auth token in bytes (v1 services ignore its content). */
  public static final int MAX_TOKEN_BYTES = 1024;

  /** Sequence value in an ERROR that concerns no particular frame. */
  public static final long NO_SEQUENCE = -1L;

  /** Whether {@code id} is a valid camera id. */
  public static boolean isValidCameraId(CharSequence id) {
    if (id.length() == 0 || id.length() > MAX_CAMERA_ID_BYTES || id.charAt(0) == '.') {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == ':'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
