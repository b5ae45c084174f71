package io.lineinspect.sim;

/** The kinds of defect the simulator draws on a part; {@link #NONE} for a good part. */
public enum DefectKind {
  NONE,
  /** A thin, long, straight mark across the part. */
  SCRATCH,
  /** A small dark stain. */
  SPOT,
  /** A jagged dark line, sometimes branching. */
  CRACK,
  /** One of the part's regular holes is absent. */
  MISSING_FEATURE
}
