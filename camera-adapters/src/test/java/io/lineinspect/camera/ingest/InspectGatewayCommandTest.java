package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code bin/inspect gateway} runs the GigE Vision gateway with its arguments passed through. */
class InspectGatewayCommandTest {
  private static final Path INSPECT = Path.of("..", "bin", "inspect");

  private static String run(int expectedRc, String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = INSPECT.toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/inspect gateway did not end in 30 s");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(expectedRc, p.exitValue(), out);
    return out;
  }

  @Test
  void shouldRunTheGatewayWithItsArguments() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/python3")), "SKIPPED: no /usr/bin/python3 (python3)");
    String help = run(0, "gateway", "--help");
    assertTrue(help.contains("usage: aravis_gateway.py"), help);
    assertTrue(help.contains("--camera-id"), help);
    String missing = run(2, "gateway", "--camera-id", "cam-1"); // --service is required
    assertTrue(missing.contains("--service"), missing);
  }
}
