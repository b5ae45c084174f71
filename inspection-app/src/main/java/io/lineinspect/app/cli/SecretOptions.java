package io.lineinspect.app.cli;

import io.lineinspect.sim.CameraSecrets;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The HELLO tokens of simulated cameras driving a service with {@code ingest.cameras} ({@code
 * camera-sim}, {@code loadgen}): one secret file for every camera, or a YAML map id → secret.
 * Without either, the cameras send no token (an open camera port).
 */
final class SecretOptions {
  @Option(
      names = "--secret-file",
      paramLabel = "FILE",
      description =
          "The cameras' secret: a file of hex digits, the format of the service's"
              + " ingest.cameras.<id>.secretFile; every simulated camera id sends it as its HELLO"
              + " token. For a service whose cameras are configured with one secret.")
  Path secretFile;

  @Option(
      names = "--credentials",
      paramLabel = "FILE",
      description =
          "The cameras' secrets, one per camera id: a YAML map of id to hex digits (cam-1:"
              + " 9f86d081...). Every simulated camera id must be listed.")
  Path credentials;

  /** The tokens to send. */
  CameraSecrets secrets() {
    if (secretFile != null && credentials != null) {
      throw new IllegalArgumentException("give --secret-file or --credentials, not both");
    }
    if (secretFile != null) {
      return CameraSecrets.fromSecretFile(secretFile);
    }
    if (credentials != null) {
      return CameraSecrets.fromCredentialsFile(credentials);
    }
    return CameraSecrets.none();
  }
}
