package io.lineinspect.app.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect dataset}: a labelled image set rendered by the camera simulator ({@link
 * DatasetWriter}).
 */
@Command(
    name = "dataset",
    mixinStandardHelpOptions = true,
    description =
        "Render a labelled image set with the camera simulator (for training or testing a model).")
public final class DatasetCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Option(
      names = "--count",
      defaultValue = "4000",
      description = "Images (default ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--camera-side",
      defaultValue = "256",
      description = "Rendered frame side in pixels (default ${DEFAULT-VALUE}).")
  int cameraSide;

  @Option(
      names = "--side",
      defaultValue = "128",
      description = "Stored image side, the model input (default ${DEFAULT-VALUE}).")
  int side;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Renderer seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--defect-rate",
      defaultValue = "0.5",
      description = "Share of defective parts (default ${DEFAULT-VALUE}).")
  double defectRate;

  @Option(
      names = "--png",
      description =
          "Write a golden set instead: one PNG per image and labels.csv as file,label,defect"
              + " (docs/models.md).")
  boolean png;

  @Override
  public Integer call() throws Exception {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1, got " + count);
    }
    DatasetWriter.write(out, count, cameraSide, side, seed, defectRate, png, System.out);
    System.out.println("dataset written to " + out);
    return 0;
  }
}
