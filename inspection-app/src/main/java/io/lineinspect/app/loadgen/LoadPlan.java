package io.lineinspect.app.loadgen;

import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.CameraSecrets;
import io.lineinspect.sim.SimulatedCamera;
import java.nio.file.Path;

/**
 * What one load-generator run does: the options of {@code inspect loadgen}, checked.
 *
 * @param port a running service's port, or null to start one in this process from {@code config}
 * @param config the line configuration (in-process service, and the model of the baselines)
 * @param backend overrides {@code inference.backend}: djl, builtin, no-work; or null
 * @param rate total frames per second; null for the default (200, or with {@code findMax} 0.9 x the
 *     bare model's frames/s)
 * @param rawFrames random MONO8 pixels instead of rendered parts
 * @param pool frames pre-rendered per camera
 * @param findMax step the rate to the highest one within the budget ({@link RateSearch})
 * @param steps rate steps with {@code findMax}
 * @param modelSeconds seconds for the bare-model and naive baselines, 0 to skip
 * @param rateShare the rate as this share of the bare model's best frames/s measured in the same
 *     run (instead of {@code rate}; with {@code findMax} the first step), or null
 * @param injectDelayMs a deliberate sleep in every inference batch (in-process service only)
 * @param injectFrameCpuMs a deliberate CPU burn in the preprocessing of every frame (in-process
 *     service only): a non-model regression, to show that the efficiency gate fails
 * @param json print the report as one JSON object on the last line
 * @param secrets the HELLO tokens of the cameras {@code load-1 … load-N} ({@link
 *     CameraSecrets#none()} for an open camera port)
 */
public record LoadPlan(
    String host,
    Integer port,
    Path config,
    String backend,
    int cameras,
    Double rate,
    SimulatedCamera.Arrival arrival,
    double seconds,
    double warmupSeconds,
    boolean rawFrames,
    int size,
    PixelFormat format,
    int pool,
    double defectRate,
    long seed,
    boolean findMax,
    int steps,
    double modelSeconds,
    Double rateShare,
    double injectDelayMs,
    double injectFrameCpuMs,
    boolean json,
    CameraSecrets secrets) {

  /** The rate of a run without {@code findMax}, and the default first step of a search. */
  public double rateOrDefault() {
    return rate != null ? rate : 200;
  }
}
