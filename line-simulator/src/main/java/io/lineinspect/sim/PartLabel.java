package io.lineinspect.sim;

/**
 * Ground truth for one rendered part, kept by the simulator to score verdicts.
 *
 * @param partIndex the renderer's running part number, from 0
 * @param defect the defect drawn, or {@link DefectKind#NONE}
 */
public record PartLabel(long partIndex, DefectKind defect) {
  public boolean defective() {
    return defect != DefectKind.NONE;
  }
}
