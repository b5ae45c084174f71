package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.RecordingSource;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.core.time.NanoClock;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model's raw output is checked per frame against its manifest, never clamped: the fixtures in
 * {@code src/test/resources/output-check/} (made by {@code make_fixtures.py} there) emit logits, or
 * NaN / +Inf / -1 / 7 / a sum of 1.2 for frames whose input mean is 1, 2, 3, 4, 5 and proper
 * probabilities otherwise.
 */
class OutputCheckTest {
  private static final Path FIXTURES = Path.of("src/test/resources/output-check").toAbsolutePath();

  private static DjlBackend load(String fixture) {
    return DjlBackend.load(new DjlBackendConfig(fixture + "/manifest.yaml", "cpu", 8, 1), FIXTURES);
  }

  /** A batch whose frame i is filled with the constant {@code means[i]}. */
  private static FrameEvent[] batch(float... means) {
    FrameEvent[] batch = new FrameEvent[means.length];
    for (int i = 0; i < means.length; i++) {
      batch[i] = FrameEvent.forWarmUp(64);
      Arrays.fill(batch[i].input(), 0, 64, means[i]);
    }
    return batch;
  }

  @Test
  void shouldValidateTheOutputKeysOfTheManifest(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    String mixed = java.nio.file.Files.readString(FIXTURES.resolve("mixed/manifest.yaml"));
    String anomaly = java.nio.file.Files.readString(FIXTURES.resolve("anomaly/manifest.yaml"));
    String[][] cases = {
      {mixed.replace("threshold:", "  sumTolerance: 0.9\nthreshold:"), "output.sumTolerance must"},
      {mixed.replace("threshold:", "  sumTolerance: 0\nthreshold:"), "output.sumTolerance must"},
      {mixed.replace("threshold:", "  range: [0, 1]\nthreshold:"), "output.range is for"},
      {anomaly.replace("threshold:", "  range: [1, 0]\nthreshold:"), "output.range must be"},
      {anomaly.replace("threshold:", "  range: [0]\nthreshold:"), "output.range must be"},
      {anomaly.replace("threshold:", "  sumTolerance: 0.1\nthreshold:"), "output.sumTolerance is"},
    };
    for (String[] c : cases) {
      Path m = dir.resolve("manifest.yaml");
      java.nio.file.Files.writeString(m, c[0]);
      ModelException e = assertThrows(ModelException.class, () -> ModelManifest.load(m));
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
    Path ok = dir.resolve("manifest.yaml");
    java.nio.file.Files.writeString(
        ok, mixed.replace("threshold:", "  sumTolerance: 0.05\nthreshold:"));
    assertEquals(0.05, ModelManifest.load(ok).output().sumToleranceOrDefault());
    java.nio.file.Files.writeString(ok, anomaly);
    assertEquals(0.0, ModelManifest.load(ok).output().rangeMin());
    assertEquals(1.0, ModelManifest.load(ok).output().rangeMax());
  }

  @Test
  void shouldRefuseAtLoadAModelThatEmitsLogits() {
    ModelException e = assertThrows(ModelException.class, () -> load("logits"));
    String m = e.getMessage();
    assertTrue(m.contains("logits/model.pt"), m);
    assertTrue(m.contains("outputs of the probe batch are not class scores"), m);
    assertTrue(m.contains("class good value 2.0 is not a probability"), m);
    assertTrue(m.contains("values [2.0, -1.5]"), m);
    assertTrue(m.contains("sum 0.5"), m);
    assertTrue(m.contains("needs a softmax"), m);
  }

  @Test
  void shouldFailSafeOnlyTheFramesWhoseOutputBreaksTheRuleAndJudgeTheRest() throws Exception {
    try (DjlBackend backend = load("mixed");
        InferenceSession session = backend.newSession()) {
      FrameEvent[] b = batch(-0.3f, 1, 0.3f, 2, 3, -0.3f, 4, 5);
      session.infer(b, b.length);
      int[] good = {0, 2, 5};
      for (int i : good) {
        assertEquals(ReasonCode.NONE, b[i].reason(), "frame " + i + ": " + b[i].detail());
        assertTrue(b[i].scored(), "frame " + i);
      }
      // softmax([-m, m])[1] = 1 / (1 + e^(-2m))
      assertEquals(1 / (1 + Math.exp(0.6)), b[0].score(), 1e-5);
      assertEquals(1 / (1 + Math.exp(-0.6)), b[2].score(), 1e-5);
      assertEquals("good", b[0].label());
      assertEquals("defect", b[2].label());
      String[] expected = {
        null,
        "class good value NaN is not a probability in [0, 1]",
        null,
        "class good value Infinity is not a probability in [0, 1]",
        "class good value 2.0 is not a probability in [0, 1] (sum 1.0, values [2.0, -1.0])",
        null,
        "class good value 7.0 is not a probability in [0, 1] (sum 7.5",
        "class values sum to 1.2, not 1 within output.sumTolerance 0.01 (values [0.6, 0.6])"
      };
      for (int i = 0; i < b.length; i++) {
        if (expected[i] == null) {
          continue;
        }
        assertEquals(ReasonCode.INFERENCE_ERROR, b[i].reason(), "frame " + i);
        assertFalse(b[i].scored(), "frame " + i + " must get no score");
        assertTrue(b[i].detail().startsWith("output of mixed@1 rejected: "), b[i].detail());
        assertTrue(b[i].detail().contains(expected[i]), "frame " + i + ": " + b[i].detail());
      }
      assertEquals(5, backend.outputErrors());
    }
  }

  @Test
  void shouldCheckAnAnomalyScoreAgainstItsDeclaredRange() throws Exception {
    try (DjlBackend backend = load("anomaly");
        InferenceSession session = backend.newSession()) {
      FrameEvent[] b = batch(0, 1, 2, 3, 4);
      session.infer(b, b.length);
      assertEquals(ReasonCode.NONE, b[0].reason());
      assertEquals(0.25f, b[0].score(), 1e-6);
      for (int i = 1; i < b.length; i++) {
        assertEquals(ReasonCode.INFERENCE_ERROR, b[i].reason(), "frame " + i);
        assertTrue(b[i].detail().contains("not a finite number within output.range [0.0, 1.0]"));
      }
      assertEquals(4, backend.outputErrors());
    }
    // Declared [-1, 7]: -1 and 7 are scores (0 and 1 of the range), NaN and +Inf still are not.
    try (DjlBackend backend = load("anomaly-wide");
        InferenceSession session = backend.newSession()) {
      FrameEvent[] b = batch(0, 1, 2, 3, 4);
      session.infer(b, b.length);
      assertEquals(1.25f / 8, b[0].score(), 1e-6);
      assertEquals(ReasonCode.INFERENCE_ERROR, b[1].reason());
      assertEquals(ReasonCode.INFERENCE_ERROR, b[2].reason());
      assertEquals(0f, b[3].score());
      assertEquals(1f, b[4].score());
      assertEquals(ReasonCode.NONE, b[4].reason());
      assertEquals(2, backend.outputErrors());
    }
  }

  @Test
  void shouldGiveFailSafeInferenceErrorVerdictsOnTheLineOnlyToTheBadFrames() throws Exception {
    // mixed-line: MONO8 pixel p is an input mean of p / 51; threshold 0.6.
    int[] pixels = {0, 51, 20, 102, 153, 0, 204, 255, 0, 20};
    Verdict[] want = {
      Verdict.PASS,
      null,
      Verdict.FAIL,
      null,
      null,
      Verdict.PASS,
      null,
      null,
      Verdict.PASS,
      Verdict.FAIL
    };
    try (DjlBackend backend = load("mixed-line")) {
      InspectionPipeline pipeline =
          new InspectionPipeline(
              new PipelineConfig(64, 1, 8, 5.0, 1 << 12),
              TimeUnit.SECONDS.toNanos(60),
              Verdict.FAIL,
              backend,
              null,
              NanoClock.SYSTEM,
              Thread::new);
      pipeline.start();
      RecordingSource source = new RecordingSource("cam");
      TestFrame frame = new TestFrame();
      byte[] image = new byte[64];
      try {
        for (int i = 0; i < pixels.length; i++) {
          Arrays.fill(image, (byte) pixels[i]);
          pipeline.publish(
              source, frame.set(i, System.nanoTime(), 0).image(image, 8, 8, PixelFormat.MONO8));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (source.count() < pixels.length && System.nanoTime() - until < 0) {
          Thread.sleep(5);
        }
      } finally {
        pipeline.close();
      }
      List<RecordingSource.Written> v = source.written();
      assertEquals(pixels.length, v.size());
      for (int i = 0; i < pixels.length; i++) {
        if (want[i] == null) {
          assertEquals(ReasonCode.INFERENCE_ERROR, v.get(i).reason(), "frame " + i);
          assertEquals(Verdict.FAIL, v.get(i).verdict(), "frame " + i);
        } else {
          assertEquals(ReasonCode.NONE, v.get(i).reason(), "frame " + i);
          assertEquals(want[i], v.get(i).verdict(), "frame " + i);
        }
      }
      assertEquals(5, backend.outputErrors());
    }
  }
}
