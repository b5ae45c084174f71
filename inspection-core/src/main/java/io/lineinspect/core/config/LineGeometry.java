package io.lineinspect.core.config;

/**
 * The line's geometry, from which the budget follows: a part travels from the camera to the reject
 * gate in {@code cameraToGateMm / beltSpeedMmPerS}; the verdict must be there {@code
 * actuatorLeadMs} earlier so the actuator can fire.
 *
 * @param cameraToGateMm distance from the camera's field of view to the reject gate (required)
 * @param beltSpeedMmPerS belt speed (required)
 * @param actuatorLeadMs time the actuator needs before the part reaches the gate (default 0)
 */
public record LineGeometry(Double cameraToGateMm, Double beltSpeedMmPerS, Double actuatorLeadMs) {
  public LineGeometry {
    if (cameraToGateMm == null) {
      throw new ConfigException("line.geometry.cameraToGateMm: required value is missing");
    }
    if (beltSpeedMmPerS == null) {
      throw new ConfigException("line.geometry.beltSpeedMmPerS: required value is missing");
    }
    cameraToGateMm = Check.doubleIn("line.geometry.cameraToGateMm", cameraToGateMm, 0, 1, 1e6);
    beltSpeedMmPerS = Check.doubleIn("line.geometry.beltSpeedMmPerS", beltSpeedMmPerS, 0, 1, 1e6);
    actuatorLeadMs = Check.doubleIn("line.geometry.actuatorLeadMs", actuatorLeadMs, 0, 0, 10_000);
  }

  /** The budget in whole milliseconds (rounded down). */
  public int budgetMs() {
    return (int) Math.floor(cameraToGateMm / beltSpeedMmPerS * 1000 - actuatorLeadMs);
  }
}
