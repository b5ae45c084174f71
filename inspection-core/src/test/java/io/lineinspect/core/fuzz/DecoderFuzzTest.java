package io.lineinspect.core.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz targets for the core's parsers of untrusted input: the structural check of camera JPEG/PNG
 * payloads and the YAML configuration loader. The default test run replays the committed inputs
 * under {@code src/test/resources/io/lineinspect/core/fuzz/DecoderFuzzTestInputs/<method>/} (crash
 * inputs found by a fuzzing run belong there too); {@code JAZZER_FUZZ=1 ./mvnw -pl inspection-core
 * test -Dtest=DecoderFuzzTest#METHOD} fuzzes one target (docs/security.md).
 */
class DecoderFuzzTest {
  private static final EncodedImageCheck CHECK = new EncodedImageCheck(36_000_000L);

  /**
   * Any bytes as a JPEG or PNG payload: the check answers (null or a one-line reason) and never
   * throws; a payload it accepts is refused once its last byte is missing (a partial image never
   * passes as whole). Input: byte 0 bit 0 = format (0 JPEG, 1 PNG), bytes 1–2 and 3–4 the frame
   * header's width and height (big-endian), the rest the payload.
   */
  @FuzzTest(maxDuration = "60s")
  void encodedImageCheckAnswersEveryPayload(byte[] input) {
    if (input.length < 5) {
      return;
    }
    PixelFormat format = (input[0] & 1) == 0 ? PixelFormat.JPEG : PixelFormat.PNG;
    int width = (input[1] & 0xFF) << 8 | input[2] & 0xFF;
    int height = (input[3] & 0xFF) << 8 | input[4] & 0xFF;
    byte[] payload = Arrays.copyOfRange(input, 5, input.length);
    String problem = CHECK.check(format, payload, payload.length, width, height);
    if (problem == null) {
      String partial = CHECK.check(format, payload, payload.length - 1, width, height);
      assertNotNull(partial, format + " accepted whole and without its last byte");
    } else {
      assertTrue(!problem.isBlank() && problem.indexOf('\n') < 0, "one-line reason: " + problem);
    }
  }

  /**
   * Any text as a line configuration: a {@link ServiceConfig} or a {@link ConfigException} naming
   * the origin, nothing else (no NullPointerException, no raw Jackson error).
   */
  @FuzzTest(maxDuration = "60s")
  void configLoaderAcceptsOrNamesTheProblem(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    try {
      assertNotNull(ConfigLoader.parse(yaml, "fuzz.yaml"));
    } catch (ConfigException e) {
      assertTrue(e.getMessage().startsWith("fuzz.yaml: "), e.getMessage());
    }
  }
}
