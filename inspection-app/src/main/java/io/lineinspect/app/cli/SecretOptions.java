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

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description =
          "Connect over TLS (a service with ingest.tls), trusting the PEM certificates in FILE:"
              + " the service's certificate or the CA that issued it. Its SAN must name the host"
              + " dialled.")
  Path tlsCa;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "With --tls-ca, for mutual TLS (ingest.tls.clientCaFile): the cameras' client"
              + " certificate chain, PEM, leaf first; every simulated camera presents it.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key of --tls-cert: PEM, unencrypted PKCS#8.")
  Path tlsKey;

  /** The tokens to send, and the TLS client context when {@code --tls-ca} is given. */
  CameraSecrets secrets() {
    if (secretFile != null && credentials != null) {
      throw new IllegalArgumentException("give --secret-file or --credentials, not both");
    }
    CameraSecrets s;
    if (secretFile != null) {
      s = CameraSecrets.fromSecretFile(secretFile);
    } else if (credentials != null) {
      s = CameraSecrets.fromCredentialsFile(credentials);
    } else {
      s = CameraSecrets.none();
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("give --tls-cert and --tls-key together");
    }
    if (tlsCa == null) {
      if (tlsCert != null) {
        throw new IllegalArgumentException(
            "--tls-cert needs --tls-ca (the certificate or CA the service is trusted by)");
      }
      return s;
    }
    io.lineinspect.core.tls.PemTls.Identity identity =
        tlsCert == null
            ? null
            : io.lineinspect.core.tls.PemTls.identity("--tls-cert", tlsCert, "--tls-key", tlsKey);
    return s.withTls(
        io.lineinspect.core.tls.PemTls.context(
            identity, io.lineinspect.core.tls.PemTls.certificates("--tls-ca", tlsCa)));
  }
}
