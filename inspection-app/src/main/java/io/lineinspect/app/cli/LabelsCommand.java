package io.lineinspect.app.cli;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.dashboard.DashboardConfig;
import io.lineinspect.app.dashboard.LabelExport;
import io.lineinspect.app.dashboard.LabelStore;
import io.lineinspect.core.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect labels export}: the dashboard's operator labels as a labelled image set. */
@Command(
    name = "labels",
    mixinStandardHelpOptions = true,
    description = "The operator labels given on the dashboard (docs/dashboard.md).",
    subcommands = {LabelsCommand.Export.class})
public final class LabelsCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description =
          "Write the labelled parts as an image set in the layout of 'inspect dataset --png'"
              + " (PNG files, labels.csv: file,label,defect), with provenance.csv (audit identity"
              + " of each) and unimaged.csv.")
  static final class Export implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory to write.")
    Path out;

    @Option(
        names = "--dir",
        description = "Labels directory (default: dashboard.labelsDir of --config).")
    Path dir;

    @Option(
        names = "--config",
        description =
            "Line configuration whose dashboard.labelsDir to read (default"
                + " configs/demo-line.yaml).")
    Path config;

    @Override
    public Integer call() throws Exception {
      Path labels = dir != null ? dir : labelsDir(config);
      if (!java.nio.file.Files.isDirectory(labels)) {
        System.err.println(
            "labels: no labels directory at "
                + labels
                + " (no operator label given yet, or a different dashboard.labelsDir: use --config"
                + " or --dir)");
        return 2;
      }
      LabelExport.Result r = LabelExport.write(new LabelStore(labels), out);
      System.out.printf(
          java.util.Locale.ROOT,
          "labels: %d image(s) written to %s (%d good, %d defect); %d label(s) without an image in"
              + " unimaged.csv%n",
          r.images(),
          out,
          r.good(),
          r.defect(),
          r.unimaged());
      return 0;
    }

    /** {@code dashboard.labelsDir} of the configuration, against the install. */
    static Path labelsDir(Path config) {
      Path home = InspectCommand.home();
      Path file = config != null ? config : home.resolve("configs/demo-line.yaml");
      return home.resolve(DashboardConfig.of(ConfigLoader.load(file)).labelsDir());
    }
  }
}
