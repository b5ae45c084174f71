package io.lineinspect.core.actuate;

/** Why a reject did not reach its part. Every one is counted, logged and raises an alarm. */
public enum MissCause {
  /** The verdict reached the scheduler after the part had passed the gate: never fired. */
  LATE("verdict came after the part passed the gate"),
  /** The scheduler's queue was full: the reject was never scheduled. */
  QUEUE_FULL("reject queue full"),
  /** The output was not connected at fire time. */
  NOT_CONNECTED("actuator not connected"),
  /** The device refused or failed the write (exception response, I/O error). */
  WRITE_FAILED("write failed"),
  /** The device did not confirm the write in time: it may have fired late or not at all. */
  TIMEOUT("no confirmation in time"),
  /** The output has no coil/slot for the part's camera. */
  UNMAPPED_CAMERA("camera not mapped to an actuator");

  private static final MissCause[] VALUES = values();
  private final String text;

  MissCause(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  /** All causes, shared. Do not modify. */
  public static MissCause[] all() {
    return VALUES;
  }
}
