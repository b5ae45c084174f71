package io.lineinspect.app.cli;

import io.lineinspect.app.SimRun;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.SimulatedCamera;
import java.io.IOException;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that run simulated cameras ({@code camera-sim}, {@code demo}), and
 * the summary they print at the end.
 */
final class CameraOptions {
  @Option(
      names = "--cameras",
      defaultValue = "2",
      description = "Simulated cameras (default ${DEFAULT-VALUE}).")
  int cameras;

  @Option(
      names = "--fps",
      defaultValue = "30",
      description = "Frames per second per camera (default ${DEFAULT-VALUE}).")
  double fps;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "How long to send frames (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(
      names = "--width",
      defaultValue = "256",
      description = "Frame width in pixels (default ${DEFAULT-VALUE}).")
  int width;

  @Option(
      names = "--height",
      defaultValue = "256",
      description = "Frame height in pixels (default ${DEFAULT-VALUE}).")
  int height;

  @Option(
      names = "--format",
      defaultValue = "MONO8",
      description = "Pixel format: MONO8, BGR8, RGB8, JPEG, PNG (default ${DEFAULT-VALUE}).")
  PixelFormat format;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.3",
      description = "Share of defective parts (default ${DEFAULT-VALUE}).")
  double defectRate;

  @Option(
      names = "--seed",
      defaultValue = "20261124",
      description =
          "Renderer seed; the same seed renders the same parts (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print the summary as one JSON object on the last line.")
  boolean json;

  SimulatedCamera.Settings settings() {
    if (cameras < 1 || cameras > 256) {
      throw new IllegalArgumentException("--cameras must be 1..256, got " + cameras);
    }
    if (seconds < 1) {
      throw new IllegalArgumentException("--seconds must be at least 1, got " + seconds);
    }
    if (width < 32 || height < 32 || width > 4096 || height > 4096) {
      throw new IllegalArgumentException("--width and --height must be 32..4096");
    }
    if (!(defectRate >= 0 && defectRate <= 1)) {
      throw new IllegalArgumentException("--defect-rate must be 0..1, got " + defectRate);
    }
    return new SimulatedCamera.Settings(width, height, format, fps, defectRate, seed);
  }

  /**
   * Prints the run's summary (and, with {@code --json}, one JSON object with {@code extra} added)
   * and returns the exit status: 0, or 3 when a frame got no verdict, two, or one out of order.
   */
  int report(SimRun.Result r, Map<String, Object> extra) throws IOException {
    r.printText(System.out);
    if (json) {
      Map<String, Object> m = r.toMap();
      m.putAll(extra);
      System.out.println(SimRun.Result.toJson(m));
    }
    return r.promisesKept() ? 0 : 3;
  }
}
