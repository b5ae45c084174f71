package io.lineinspect.inference.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.lineinspect.inference.djl.ModelException;
import io.lineinspect.inference.djl.ModelManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fuzz target for the model manifest parser (a model directory is untrusted input: it comes from a
 * data scientist's laptop or a registry). The default test run replays the committed inputs under
 * {@code src/test/resources/io/lineinspect/inference/fuzz/ManifestFuzzTestInputs/}; {@code
 * JAZZER_FUZZ=1} fuzzes (docs/security.md).
 */
class ManifestFuzzTest {
  private static final Path ORIGIN = Path.of("fuzz", "manifest.yaml");

  /** Any text: a validated manifest or a {@link ModelException} naming the file, nothing else. */
  @FuzzTest(maxDuration = "60s")
  void manifestLoadsOrNamesTheProblem(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      assertNotNull(ModelManifest.parse(text, ORIGIN));
    } catch (ModelException e) {
      assertTrue(e.getMessage().startsWith(ORIGIN + ": "), e.getMessage());
    }
  }
}
