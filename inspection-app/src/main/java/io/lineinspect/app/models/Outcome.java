package io.lineinspect.app.models;

/** How a model operation ended; each maps to one HTTP status of the admin API. */
public enum Outcome {
  /** The requested version judges from the next batch on. */
  ACTIVATED(200),
  /** The requested version was already served: nothing changed. */
  UNCHANGED(200),
  /** A shadow model was started or stopped. */
  DONE(200),
  /** The candidate loaded but failed the golden-set gate; the served model stays. */
  REFUSED(409),
  /** The candidate is unusable (not in the registry, manifest, checksum, shape, input); stays. */
  INVALID(422),
  /** Another model operation is running. */
  BUSY(409),
  /** Not possible now (no earlier version, builtin backend, line stopped); the served stays. */
  FAILED(409);

  /** The admin API's answer to an operation that ended so. */
  public final int httpStatus;

  Outcome(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  /** True for the outcomes that count as a refused candidate (invalid, or failed the gate). */
  public boolean isRefusal() {
    return this == INVALID || this == REFUSED;
  }
}
