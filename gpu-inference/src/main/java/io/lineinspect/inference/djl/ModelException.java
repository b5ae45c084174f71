package io.lineinspect.inference.djl;

/** A model that cannot be used: missing, corrupt, tampered with, or not what its manifest says. */
public final class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
