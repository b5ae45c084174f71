package io.lineinspect.camera.protocol;

/**
 * Error codes of protocol v1, sent in ERROR messages. A fatal error is followed by the service
 * closing the connection (the byte stream can no longer be trusted or the camera is not allowed); a
 * non-fatal one concerns one frame, which still gets its (fail-safe) verdict.
 */
public enum ErrorCode {
  BAD_MAGIC(1, true),
  UNSUPPORTED_VERSION(2, true),
  UNKNOWN_MESSAGE_TYPE(3, true),
  MESSAGE_TOO_LARGE(4, true),
  MALFORMED_MESSAGE(5, true),
  HELLO_REQUIRED(6, true),
  DUPLICATE_HELLO(7, true),
  INVALID_CAMERA_ID(8, true),
  CAMERA_ID_IN_USE(9, true),
  IDLE_TIMEOUT(10, true),
  SERVICE_SHUTTING_DOWN(11, true),
  VERDICTS_NOT_READ(12, true),
  CONNECTION_LIMIT(13, true),
  HELLO_TIMEOUT(14, true),
  MESSAGE_TIMEOUT(15, true),
  /** HELLO for a camera id that is not configured, or with a token that is not its secret. */
  AUTHENTICATION_FAILED(16, true),
  /** Another connection authenticated as this camera id; sent after this one's last verdict. */
  CAMERA_ID_TAKEN_OVER(17, true),
  PAYLOAD_LENGTH_MISMATCH(20, false),
  IMAGE_SIZE_MISMATCH(21, false),
  UNKNOWN_PIXEL_FORMAT(22, false),
  BAD_IMAGE(23, false);

  private static final ErrorCode[] VALUES = values();

  private final int code;
  private final boolean fatal;

  ErrorCode(int code, boolean fatal) {
    this.code = code;
    this.fatal = fatal;
  }

  public int code() {
    return code;
  }

  public boolean fatal() {
    return fatal;
  }

  public static ErrorCode fromCode(int code) {
    for (ErrorCode c : VALUES) {
      if (c.code == code) {
        return c;
      }
    }
    return null;
  }
}
