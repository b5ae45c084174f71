package io.lineinspect.core.decide;

/** The judgement sent for a part. The wire code is part of protocol v1. */
public enum Verdict {
  PASS(0),
  FAIL(1);

  private final int code;

  Verdict(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static Verdict fromCode(int code) {
    return switch (code) {
      case 0 -> PASS;
      case 1 -> FAIL;
      default -> null;
    };
  }
}
