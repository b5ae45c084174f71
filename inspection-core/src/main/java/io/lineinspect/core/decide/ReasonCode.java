package io.lineinspect.core.decide;

/**
 * Why a verdict is what it is. {@link #NONE} means the model judged the part; every other code
 * means the part could not be judged and got the line's fail-safe verdict. The wire code is part of
 * protocol v1 and must never change for an existing constant.
 */
public enum ReasonCode {
  /** The model judged the frame; the verdict follows from its score. */
  NONE(0),
  /** The ring was full when the frame arrived: the service was overloaded. */
  OVERLOAD(1),
  /** The frame could no longer be judged within its budget. */
  DEADLINE(2),
  /** The inference backend failed on the batch holding this frame. */
  INFERENCE_ERROR(3),
  /** No model was loaded when the frame was due. */
  NO_MODEL(4),
  /** The payload could not be turned into an image (wrong size, unknown format, undecodable). */
  BAD_IMAGE(5),
  /**
   * The image decoded but is not fit to be judged: blank, saturated, uniform, covered or out of
   * focus (a lens cap, a dead light, a smeared lens). Judging it would be judging nothing.
   */
  UNFIT_IMAGE(6);

  private static final ReasonCode[] VALUES = values();

  private final int code;

  ReasonCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** True for every code that forces the fail-safe verdict. */
  public boolean isFailSafe() {
    return this != NONE;
  }

  public static ReasonCode fromCode(int code) {
    for (ReasonCode r : VALUES) {
      if (r.code == code) {
        return r;
      }
    }
    return null;
  }

  /** All codes, shared to avoid the copy {@code values()} makes. Do not modify. */
  public static ReasonCode[] all() {
    return VALUES;
  }
}
