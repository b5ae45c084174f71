package io.lineinspect.app.cli;

import io.lineinspect.app.SimRun;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect camera-sim}: simulated cameras against a running service, then a summary. */
@Command(
    name = "camera-sim",
    mixinStandardHelpOptions = true,
    description =
        "Simulated line cameras (cam-1 ... cam-N) sending rendered parts to a running service;"
            + " with ingest.cameras configured there, give their secrets (--secret-file or"
            + " --credentials).")
public final class CameraSimCommand implements Callable<Integer> {
  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Service host (default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "7600",
      description = "Service port (default ${DEFAULT-VALUE}).")
  int port;

  @CommandLine.Mixin CameraOptions options;

  @CommandLine.Mixin SecretOptions secretOptions;

  @Override
  public Integer call() throws Exception {
    CameraOptions o = options;
    SimRun.Result r =
        new SimRun(host, port, o.cameras, o.settings(), o.seconds, System.out)
            .withSecrets(secretOptions.secrets())
            .run(() -> "");
    return o.report(r, Map.of());
  }
}
