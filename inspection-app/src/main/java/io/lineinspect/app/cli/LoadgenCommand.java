package io.lineinspect.app.cli;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.loadgen.LoadPlan;
import io.lineinspect.app.loadgen.Loadgen;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.SimulatedCamera;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect loadgen}: the options of the open-loop load generator, checked; {@link Loadgen}
 * runs it (docs/benchmarks).
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    description =
        "Open-loop load generator: cameras over TCP at a fixed or Poisson rate; latency"
            + " percentiles, verdicts by reason, bare-model and naive baselines, efficiency.")
public final class LoadgenCommand implements Callable<Integer> {

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Host of a running service (with --port; default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      description = "Port of a running service; without it a service is started in this process.")
  Integer port;

  @Option(
      names = "--config",
      description =
          "Line configuration: of the in-process service, and the model measured for the baselines"
              + " (default: configs/demo-line.yaml of the install).")
  Path config;

  @Option(
      names = "--backend",
      description =
          "Override inference.backend of the configuration: djl, builtin, or no-work (a test"
              + " backend that scores every frame 0 without looking at it: measures transport and"
              + " pipeline alone; in-process service only).")
  String backend;

  @Option(
      names = "--cameras",
      defaultValue = "4",
      description = "Camera connections (default ${DEFAULT-VALUE}).")
  int cameras;

  @Option(
      names = "--rate",
      description =
          "Total frames per second over all cameras (default 200); with --find-max the first step"
              + " (default: 0.9 x the bare model's frames/s).")
  Double rateOption;

  @Option(
      names = "--arrival",
      defaultValue = "constant",
      description = "constant or poisson (bursty, same mean rate; default ${DEFAULT-VALUE}).")
  String arrival;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "Measured seconds (default ${DEFAULT-VALUE}; per step with --find-max).")
  double seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "2",
      description = "Seconds sent before measuring, not counted (default ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--frames",
      defaultValue = "parts",
      description =
          "parts (rendered parts with ground truth) or raw (random MONO8 pixels; default"
              + " ${DEFAULT-VALUE}).")
  Frames frames;

  /** What the cameras send. */
  enum Frames {
    parts,
    raw
  }

  @Option(
      names = "--size",
      defaultValue = "256",
      description = "Frame side in pixels (default ${DEFAULT-VALUE}).")
  int size;

  @Option(
      names = "--format",
      defaultValue = "MONO8",
      description = "Pixel format of rendered parts (default ${DEFAULT-VALUE}).")
  PixelFormat format;

  @Option(
      names = "--pool",
      defaultValue = "256",
      description = "Frames pre-rendered per camera before the run (default ${DEFAULT-VALUE}).")
  int pool;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.3",
      description = "Share of defective rendered parts (default ${DEFAULT-VALUE}).")
  double defectRate;

  @Option(
      names = "--seed",
      defaultValue = "20261128",
      description = "Seed of frames and arrivals (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--find-max",
      description =
          "Step the rate (grow, then bisect) to the highest rate with p99 within the budget and at"
              + " most 1%% fail-safe verdicts.")
  boolean findMax;

  @Option(
      names = "--steps",
      defaultValue = "7",
      description = "Rate steps with --find-max (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--model-seconds",
      defaultValue = "6",
      description =
          "Seconds for the bare-model and naive baselines together, 0 to skip (default"
              + " ${DEFAULT-VALUE}).")
  double modelSeconds;

  @Option(
      names = "--rate-share",
      description =
          "Offer this share of the bare model's best frames/s measured in the same run (instead of"
              + " --rate; with --find-max the first step). Needs --model-seconds > 0.")
  Double rateShare;

  @Option(
      names = "--inject-frame-cpu-ms",
      defaultValue = "0",
      description =
          "In-process service only: burn this much CPU in the preprocessing of every frame (a"
              + " deliberate non-model slowdown, to show that the efficiency gate fails; default"
              + " ${DEFAULT-VALUE}).")
  double injectFrameCpuMs;

  @Option(
      names = "--inject-delay-ms",
      defaultValue = "0",
      description =
          "In-process service only: sleep this long in every inference batch (a deliberate"
              + " slowdown, to show that the latency gate fails; default ${DEFAULT-VALUE}).")
  double injectDelayMs;

  @Option(names = "--json", description = "Print the report as one JSON object on the last line.")
  boolean json;

  @CommandLine.Mixin SecretOptions secretOptions;

  private final PrintStream out;

  public LoadgenCommand() {
    this(System.out);
  }

  /** With the report going to {@code out} (tests). */
  public LoadgenCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    check(rateOption != null ? rateOption : 200);
    Path file = config != null ? config : InspectCommand.home().resolve("configs/demo-line.yaml");
    LoadPlan plan =
        new LoadPlan(
            host,
            port,
            file,
            backend,
            cameras,
            rateOption,
            SimulatedCamera.Arrival.valueOf(arrival.toUpperCase(Locale.ROOT)),
            seconds,
            warmupSeconds,
            frames == Frames.raw,
            size,
            format,
            pool,
            defectRate,
            seed,
            findMax,
            steps,
            modelSeconds,
            rateShare,
            injectDelayMs,
            injectFrameCpuMs,
            json,
            secretOptions.secrets());
    return new Loadgen(plan, InspectCommand.home(), out).run();
  }

  private void check(double rate) {
    if (cameras < 1 || cameras > 256) {
      throw new IllegalArgumentException("--cameras must be 1..256, got " + cameras);
    }
    if (!(rate > 0) || rate / cameras > 100_000) {
      throw new IllegalArgumentException(
          "--rate must be > 0 and at most 100000 per camera, got " + rate);
    }
    if (!(seconds > 0) || !(warmupSeconds >= 0)) {
      throw new IllegalArgumentException("--seconds must be > 0 and --warmup-seconds >= 0");
    }
    if (size < 32 || size > 4096) {
      throw new IllegalArgumentException("--size must be 32..4096, got " + size);
    }
    if (frames == Frames.raw && format != PixelFormat.MONO8) {
      throw new IllegalArgumentException("--frames raw sends MONO8 only");
    }
    if (steps < 1 || steps > 50) {
      throw new IllegalArgumentException("--steps must be 1..50, got " + steps);
    }
    if (!(injectDelayMs >= 0) || !(injectFrameCpuMs >= 0) || injectFrameCpuMs > 1000) {
      throw new IllegalArgumentException(
          "--inject-delay-ms must be >= 0 and --inject-frame-cpu-ms 0..1000");
    }
    if (rateShare != null) {
      if (!(rateShare > 0) || rateShare > 10) {
        throw new IllegalArgumentException("--rate-share must be > 0 and <= 10, got " + rateShare);
      }
      if (rateOption != null) {
        throw new IllegalArgumentException("--rate-share and --rate exclude each other");
      }
      if (!(modelSeconds > 0)) {
        throw new IllegalArgumentException(
            "--rate-share needs the bare model measured: --model-seconds > 0");
      }
    }
  }
}
