package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.testing.ScriptedBackend;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official Python client ({@code clients/python/lineinspect_client.py}) against the real camera
 * server on loopback: each test starts the server with the configuration a scenario of {@code
 * clients/python/tests/interop.py} needs, runs that scenario with {@code /usr/bin/python3} (its own
 * assertions decide its exit status) and checks its {@code RESULT} line against the service's own
 * counts: every frame the client sent was decided exactly once by the service.
 *
 * <p>Skips loudly when {@code /usr/bin/python3} is missing; fails instead when {@code
 * INSPECT_REQUIRE_PYTHON3=1} (set by {@code .ci/run} when it is there).
 */
class PythonClientInteropTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path SCRIPT = Path.of("..", "clients", "python", "tests", "interop.py");
  private static final String SECRET = "00112233445566778899aabbccddeeff";
  private static final Pattern RESULT = Pattern.compile("^RESULT \\{.*?(?:\"sent\": (\\d+).*)?$");

  @TempDir static Path images;

  private final AtomicLong decided = new AtomicLong();
  private final VerdictListener counter =
      new VerdictListener() {
        @Override
        public void onVerdict(VerdictView v) {
          decided.incrementAndGet();
        }
      };
  private volatile LoopbackServer line;

  @BeforeAll
  static void requirePython() throws IOException {
    boolean present = Files.isExecutable(PYTHON);
    if (!present && "1".equals(System.getenv("INSPECT_REQUIRE_PYTHON3"))) {
      throw new AssertionError("INSPECT_REQUIRE_PYTHON3=1 but " + PYTHON + " is missing");
    }
    if (!present) {
      System.err.println(
          "WARNING: "
              + PYTHON
              + " is missing: the Python client interop tests are SKIPPED (install python3)");
    }
    assumeTrue(present, PYTHON + " is missing (Debian package python3): interop tests skipped");
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        img.setRGB(x, y, (x * 30) << 16 | (y * 30) << 8 | 90);
      }
    }
    assertTrue(ImageIO.write(img, "jpg", images.resolve("ok.jpg").toFile()));
    assertTrue(ImageIO.write(img, "png", images.resolve("ok.png").toFile()));
  }

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  private static IngestConfig ingest(int idleTimeoutMs, Integer maxImagePixels) {
    return new IngestConfig("127.0.0.1", 0, 1 << 20, idleTimeoutMs, 1, "auto", maxImagePixels);
  }

  private void start(IngestConfig ingest) throws Exception {
    line =
        // A ring of 1024: the interop scenario's 302 frames back to back always fit it.
        LoopbackServer.of(new PipelineConfig(1024, 1, 8, 1.0, 1024), 10_000, new ScriptedBackend(8))
            .line("py-line")
            .ingest(ingest)
            .listener(counter)
            .start();
  }

  /** The scenario's output; asserts exit status 0 and returns the frames its RESULT says sent. */
  private long run(String scenario, String... extra) throws Exception {
    return run(scenario, null, extra);
  }

  /**
   * Runs {@code scenario}; {@code onLine} (may be null) sees each line of its output as it comes
   * and may write to its stdin.
   */
  private long run(String scenario, LineHandler onLine, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(), scenario));
    if (line != null) {
      cmd.addAll(List.of("--port", String.valueOf(line.port())));
    }
    cmd.addAll(List.of("--images", images.toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    CompletableFuture<Void> reader =
        CompletableFuture.runAsync(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  lines.add(l);
                  if (onLine != null) {
                    onLine.accept(l, p.getOutputStream());
                  }
                }
              } catch (Exception e) {
                lines.add("(reading the script's output failed: " + e + ")");
              }
            });
    boolean exited = p.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly();
    }
    reader.get(10, TimeUnit.SECONDS);
    String out = String.join("\n", lines);
    assertTrue(exited, "interop.py " + scenario + " did not finish in 60 s:\n" + out);
    assertEquals(0, p.exitValue(), "interop.py " + scenario + " failed:\n" + out);
    for (String l : lines) {
      Matcher m = RESULT.matcher(l);
      if (m.matches()) {
        System.out.println("interop.py " + scenario + ": " + l);
        return m.group(1) == null ? 0 : Long.parseLong(m.group(1));
      }
    }
    throw new AssertionError("interop.py " + scenario + " printed no RESULT line:\n" + out);
  }

  /** Sees one line of the script's output; may answer on its stdin. */
  @FunctionalInterface
  private interface LineHandler {
    void accept(String line, OutputStream stdin) throws Exception;
  }

  /** Every frame the client sent was decided exactly once by the service, and no other. */
  private void assertEveryFrameDecidedOnce(long sent) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (decided.get() < sent && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    assertEquals(sent, decided.get(), "frames the client sent vs verdicts the service decided");
  }

  @Test
  void shouldEncodeAndDecodeTheProtocolDocsExamplesByteForByte() throws Exception {
    run("codec");
  }

  @Test
  void shouldGetOneVerdictPerFrameInOrderWithTheModelsResult() throws Exception {
    start(ingest(10_000, null));
    assertEveryFrameDecidedOnce(run("interop"));
    assertEquals(0, line.server().metrics().errors(ErrorCode.MALFORMED_MESSAGE));
  }

  @Test
  void shouldSeeEveryNonFatalErrorThenTheFramesFailSafeVerdict() throws Exception {
    start(ingest(10_000, 1000));
    assertEveryFrameDecidedOnce(run("bad_frames"));
    assertEquals(5, line.server().metrics().errors(ErrorCode.BAD_IMAGE));
  }

  @Test
  void shouldBePacedAboveTheFrameRateCeiling() throws Exception {
    start(ingest(10_000, null).withLimits(64, 16, 2000, 2000, 128L << 20, 20));
    assertEveryFrameDecidedOnce(run("overload"));
  }

  @Test
  void shouldReportFatalErrorsAndReconnectAfterAnIdleTimeout() throws Exception {
    start(ingest(300, null));
    assertEveryFrameDecidedOnce(run("fatal"));
    assertTrue(line.server().metrics().errors(ErrorCode.IDLE_TIMEOUT) >= 1);
    assertEquals(1, line.server().metrics().errors(ErrorCode.CAMERA_ID_IN_USE));
  }

  @Test
  void shouldBeRefusedAboveTheConnectionLimit() throws Exception {
    start(ingest(10_000, null).withLimits(1, 1, 2000, 2000, 128L << 20, 1000));
    assertEveryFrameDecidedOnce(run("limit"));
  }

  @Test
  void shouldAuthenticateWithTheSecretAndStopAfterATakeover(@TempDir Path dir) throws Exception {
    Path secretFile = dir.resolve("cam-1.secret");
    Files.writeString(secretFile, SECRET + "\n");
    start(
        ingest(10_000, null)
            .withCameras(Map.of("cam-1", new CameraCredentialConfig(SECRET, null, null))));
    assertEveryFrameDecidedOnce(run("auth", "--secret-file", secretFile.toString()));
    assertEquals(3, line.server().metrics().errors(ErrorCode.AUTHENTICATION_FAILED));
    assertEquals(1, line.server().metrics().errors(ErrorCode.CAMERA_ID_TAKEN_OVER));
  }

  @Test
  void shouldReconnectWhenTheServiceRestartsOnTheSamePort() throws Exception {
    IngestConfig config = ingest(10_000, null);
    start(config);
    int port = line.port();
    long sent =
        run(
            "restart",
            (l, stdin) -> {
              if (!l.equals("RESTART")) {
                return;
              }
              line.close();
              line = null;
              start(config.listeningOn("127.0.0.1", port));
              stdin.write("GO\n".getBytes(StandardCharsets.US_ASCII));
              stdin.flush();
            });
    assertEveryFrameDecidedOnce(sent);
  }

  /**
   * Measurement (docs/protocol.md §11), not part of the normal run: {@code -Dmeasure.clients=true}.
   * Prints what the Python client adds around the service's own time per frame.
   */
  @Test
  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(
      named = "measure.clients",
      matches = "true")
  void measureWhatThePythonClientAdds() throws Exception {
    start(new IngestConfig("127.0.0.1", 0, 1 << 20, 10_000, 1, "auto", null));
    run("latency", "--frames", "1000");
  }

  @Test
  void shouldSpeakMutualTlsWithTheCaAndAClientCertificate() throws Exception {
    start(ingest(10_000, null).withTls(TestTls.server(true)));
    long sent =
        run(
            "tls",
            "--ca",
            TestTls.file("ca.pem").toString(),
            "--cert",
            TestTls.file("client.pem").toString(),
            "--key",
            TestTls.file("client.key").toString());
    assertEveryFrameDecidedOnce(sent);
  }
}
