package io.lineinspect.inference.djl;

import io.lineinspect.core.model.GateReport;

/**
 * A model that cannot be used: missing, corrupt, tampered with, not what its manifest says, or
 * failing its own golden set ({@link #report()}).
 */
public final class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient GateReport report;

  public ModelException(String message) {
    this(message, (GateReport) null);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
    this.report = null;
  }

  /** A model refused by the golden-set gate; {@code report} says which images, expected vs got. */
  public ModelException(String message, GateReport report) {
    super(message);
    this.report = report;
  }

  /** The golden-set gate's report when the gate refused the model, else null. */
  public GateReport report() {
    return report;
  }
}
