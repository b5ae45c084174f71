package io.lineinspect.app;

import io.lineinspect.app.cli.AuditCommand;
import io.lineinspect.app.cli.CameraSimCommand;
import io.lineinspect.app.cli.DatasetCommand;
import io.lineinspect.app.cli.DemoCommand;
import io.lineinspect.app.cli.GateCommand;
import io.lineinspect.app.cli.LabelsCommand;
import io.lineinspect.app.cli.LoadgenCommand;
import io.lineinspect.app.cli.ModelsCommand;
import io.lineinspect.app.cli.PlantCommand;
import io.lineinspect.app.cli.ServeCommand;
import io.lineinspect.core.config.ConfigException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code inspect} command line: {@code main} and the top command. Each subcommand is one class
 * in {@code io.lineinspect.app.cli}; this class only registers them, installs logging and maps the
 * start-up exceptions to exit codes.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    version = "line inspection service 0.1.0",
    description = "Visual quality inspection service for factory lines.",
    subcommands = {
      ServeCommand.class,
      CameraSimCommand.class,
      DemoCommand.class,
      DatasetCommand.class,
      AuditCommand.class,
      ModelsCommand.class,
      LoadgenCommand.class,
      GateCommand.class,
      PlantCommand.class,
      LabelsCommand.class
    })
public final class InspectCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty(
          "java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %3$s: %5$s%6$s%n");
    }
    LogSetup.install(System.getenv().getOrDefault("INSPECT_LOG_FORMAT", "text"));
    CommandLine cl = new CommandLine(new InspectCommand());
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof ConfigException) {
            cmd.getErr().println("configuration error: " + e.getMessage());
            return 2;
          }
          if (e instanceof io.lineinspect.inference.djl.ModelException) {
            cmd.getErr().println("model refused: " + e.getMessage());
            return 2;
          }
          if (e instanceof IllegalArgumentException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 2;
          }
          if (e instanceof java.io.IOException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 1;
          }
          throw e;
        });
    System.exit(cl.execute(args));
  }

  /** Where the install lives; bin/inspect passes it. */
  public static Path home() {
    return Path.of(System.getProperty("inspect.home", "."));
  }
}
