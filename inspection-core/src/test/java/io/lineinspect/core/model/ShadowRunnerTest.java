package io.lineinspect.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.config.ShadowConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.testing.TestVerdict;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShadowRunnerTest {
  /** Same scores as the live model (first byte / 255), stricter threshold: FAIL from 0.8. */
  private static final ModelInfo CANDIDATE = new ModelInfo("cand", "2", "0".repeat(64), 0.8f);

  /** Pixel levels: 0.2 (both PASS), 0.6 (live FAIL, candidate PASS), 0.9 (both FAIL). */
  private static final int AGREE_PASS = 51;

  private static final int DISAGREE = 153;
  private static final int AGREE_FAIL = 230;

  @TempDir Path dir;

  private static ScriptedBackend candidate() {
    return new ScriptedBackend(1).model(CANDIDATE);
  }

  /** Every frame sampled, no pacing (the duty cycle is not under test here). */
  private static ShadowConfig everyFrame(int slots, int maxImages) {
    return new ShadowConfig(1, slots, 1.0, "unused", maxImages);
  }

  /**
   * A live verdict as the pipeline emits it for a 64x48 MONO8 frame whose pixels all equal {@code
   * level}: the live model (threshold 0.5) scored it level / 255.
   */
  private static TestVerdict judged(long frame, int level) {
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.MONO8);
    v.part("cam-1", frame, Verdict.PASS, 1_000_000L + frame, 0);
    Arrays.fill(v.image, (byte) level);
    v.score = level / 255f;
    v.verdict = v.score >= 0.5f ? Verdict.FAIL : Verdict.PASS;
    v.model = ScriptedBackend.MODEL;
    return v;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadlineNs = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadlineNs > 0) {
        fail("not within 5 s: " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void shouldCloseTheCandidateModelOnlyAfterTheShadowThreadsInferenceReturned() throws Exception {
    io.lineinspect.core.testing.LatchedBackend backend =
        new io.lineinspect.core.testing.LatchedBackend(CANDIDATE);
    ShadowRunner shadow = new ShadowRunner(everyFrame(2, 0), dir, backend, () -> true);
    shadow.onVerdict(judged(0, AGREE_PASS));
    assertTrue(
        backend.entered.await(5, java.util.concurrent.TimeUnit.SECONDS),
        "the shadow thread is inside the candidate's inference");
    // The line keeps sending verdicts (samples now find every slot busy, or the runner stopped).
    AtomicBoolean feeding = new AtomicBoolean(true);
    Thread line =
        new Thread(
            () -> {
              for (long f = 1; feeding.get(); f++) {
                shadow.onVerdict(judged(f, AGREE_PASS));
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
              }
            },
            "line");
    line.start();
    // What ModelLifecycle does to stop a shadow model: close the runner (it gives up after about
    // 6 s while the inference still blocks), then close the candidate's backend.
    long t0 = System.nanoTime();
    try {
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () -> {
            shadow.close();
            backend.close();
          });
    } finally {
      feeding.set(false);
      line.join(5_000);
    }
    long closeMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(1, backend.inside(), "still inside after " + closeMs + " ms");
    assertFalse(backend.released(), "the model must not be closed under a running inference");
    backend.proceed.countDown();
    assertTrue(backend.awaitReleased(5_000), "released once the inference returned");
    assertTrue(backend.inferReturnedNs - backend.releasedNs <= 0, "released after infer returned");
    assertTrue(backend.releasedOn.startsWith("shadow-"), backend.releasedOn);
    assertFalse(backend.usedAfterRelease);
    assertThrows(IllegalStateException.class, backend::newSession);
  }

  @Test
  void shouldCountAndRecordDisagreementsWithTheirImages() throws Exception {
    ShadowRunner shadow = new ShadowRunner(everyFrame(16, 3), dir, candidate(), () -> true);
    try {
      assertEquals(CANDIDATE, shadow.candidate());
      int[] levels = {AGREE_PASS, DISAGREE, AGREE_FAIL};
      for (long frame = 0; frame < 12; frame++) {
        shadow.onVerdict(judged(frame, levels[(int) (frame % 3)]));
      }
    } finally {
      shadow.close(); // finishes the samples in hand
    }
    // Frames 1, 4, 7 and 10 are 0.6: live FAIL, candidate PASS.
    assertEquals(new ShadowRunner.Stats(12, 0, 12, 8, 4, 0, 3), shadow.stats());

    List<String> lines = Files.readAllLines(dir.resolve(ShadowRunner.RECORDS));
    assertEquals(4, lines.size(), String.join("\n", lines));
    ObjectMapper json = new ObjectMapper();
    long[] frames = {1, 4, 7, 10};
    for (int i = 0; i < frames.length; i++) {
      JsonNode r = json.readTree(lines.get(i));
      assertEquals("cam-1", r.get("cam").asText());
      assertEquals(frames[i], r.get("frame").asLong());
      assertEquals(1_000_000L + frames[i], r.get("captureUs").asLong());
      assertEquals("scripted@7", r.get("live").get("model").asText());
      assertEquals("FAIL", r.get("live").get("verdict").asText());
      assertEquals(0.6, r.get("live").get("score").asDouble(), 1e-6);
      assertEquals("cand@2", r.get("candidate").get("model").asText());
      assertEquals("PASS", r.get("candidate").get("verdict").asText());
      assertEquals(0.6, r.get("candidate").get("score").asDouble(), 1e-6);
      if (i < 3) {
        String name = "cam-1_" + frames[i] + "_" + (1_000_000L + frames[i]) + ".png";
        assertEquals(name, r.get("image").asText());
        BufferedImage img = ImageIO.read(dir.resolve(name).toFile());
        assertNotNull(img, name + " decodes");
        assertEquals(64, img.getWidth());
        assertEquals(48, img.getHeight());
        assertEquals(DISAGREE, img.getRaster().getSample(10, 10, 0), "the frame's own pixels");
      } else {
        assertTrue(r.get("image").isNull(), "beyond maxImages the record has no image");
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(3, files.filter(p -> p.toString().endsWith(".png")).count(), "maxImages = 3");
    }
  }

  @Test
  void shouldNeverChangeTheLiveVerdicts() throws Exception {
    List<TestVerdict> views = new ArrayList<>();
    List<byte[]> pixels = new ArrayList<>();
    ShadowRunner shadow = new ShadowRunner(everyFrame(16, 10), dir, candidate(), () -> true);
    try {
      for (long frame = 0; frame < 8; frame++) {
        TestVerdict v = judged(frame, frame % 2 == 0 ? DISAGREE : AGREE_PASS);
        views.add(v);
        pixels.add(v.image.clone());
        shadow.onVerdict(v);
        assertEquals(frame % 2 == 0 ? Verdict.FAIL : Verdict.PASS, v.verdict, "during the call");
      }
    } finally {
      shadow.close();
    }
    assertEquals(4, shadow.stats().disagreed(), "the shadow did disagree");
    for (int i = 0; i < views.size(); i++) {
      TestVerdict v = views.get(i);
      int level = i % 2 == 0 ? DISAGREE : AGREE_PASS;
      assertEquals(i % 2 == 0 ? Verdict.FAIL : Verdict.PASS, v.verdict);
      assertEquals(level / 255f, v.score);
      assertEquals(ReasonCode.NONE, v.reason);
      assertSame(ScriptedBackend.MODEL, v.model);
      assertArrayEquals(pixels.get(i), v.image, "payload untouched");
    }
  }

  @Test
  void shouldJudgeOnlyWhileTheLineIsIdle() throws Exception {
    AtomicBoolean idle = new AtomicBoolean(false);
    ScriptedBackend backend = candidate();
    ShadowRunner shadow = new ShadowRunner(everyFrame(2, 10), dir, backend, idle::get);
    try {
      for (long frame = 0; frame < 4; frame++) {
        shadow.onVerdict(judged(frame, AGREE_PASS));
      }
      // 2 skipped at once (2 slots), the 2 queued dropped after the bounded wait for idle.
      await(() -> shadow.stats().skippedBusy() == 4, "busy line: every sample skipped");
      assertEquals(0, shadow.stats().judged());
      assertEquals(0, backend.batchesStarted(), "the candidate never ran on a busy line");

      idle.set(true);
      for (long frame = 4; frame < 6; frame++) {
        shadow.onVerdict(judged(frame, AGREE_PASS));
      }
      await(() -> shadow.stats().judged() == 2, "idle line: samples judged");
    } finally {
      shadow.close();
    }
    assertEquals(new ShadowRunner.Stats(6, 4, 2, 2, 0, 0, 0), shadow.stats());
  }

  @Test
  void shouldSkipInsteadOfBlockingWhenEverySlotIsBusy() throws Exception {
    ScriptedBackend backend = candidate().gated(true);
    ShadowRunner shadow = new ShadowRunner(everyFrame(2, 10), dir, backend, () -> true);
    try {
      TestVerdict v = judged(0, DISAGREE);
      assertTimeoutPreemptively(
          Duration.ofSeconds(5),
          () -> {
            for (long frame = 0; frame < 100; frame++) {
              v.sequence = frame;
              shadow.onVerdict(v);
            }
          },
          "onVerdict waited for the candidate");
      ShadowRunner.Stats busy = shadow.stats();
      // The candidate is still held at its gate: no slot came back, so exactly 2 were taken.
      assertTrue(backend.batchesStarted() <= 1);
      assertEquals(new ShadowRunner.Stats(100, 98, 0, 0, 0, 0, 0), busy);

    } finally {
      backend.gated(false); // lets the 2 samples in hand through, so close() finishes them
      shadow.close();
    }
    assertEquals(new ShadowRunner.Stats(100, 98, 2, 0, 2, 0, 2), shadow.stats());
  }

  @Test
  void shouldSampleOnlyFramesTheLiveModelJudged() throws Exception {
    ScriptedBackend backend = candidate();
    ShadowConfig everySecond = new ShadowConfig(2, 16, 1.0, "unused", 10);
    ShadowRunner shadow = new ShadowRunner(everySecond, dir, backend, () -> true);
    try {
      TestVerdict deadline = judged(2, DISAGREE);
      deadline.reason = ReasonCode.DEADLINE;
      shadow.onVerdict(deadline);
      TestVerdict overload = judged(4, DISAGREE);
      overload.reason = ReasonCode.OVERLOAD;
      overload.image = null;
      shadow.onVerdict(overload);
      TestVerdict noImage = judged(6, DISAGREE);
      noImage.image = null;
      shadow.onVerdict(noImage);
      shadow.onVerdict(judged(7, DISAGREE)); // not every second frame
      shadow.onVerdict(judged(8, DISAGREE)); // the one sample
    } finally {
      shadow.close();
    }
    assertEquals(new ShadowRunner.Stats(1, 0, 1, 0, 1, 0, 1), shadow.stats());
    assertEquals(1, backend.batchesStarted());
    assertTrue(Files.exists(dir.resolve("cam-1_8_1000008.png")));
    assertFalse(Files.exists(dir.resolve("cam-1_2_1000002.png")));
  }

  @Test
  void shouldCountSamplesTheCandidateCannotJudgeAsFailed() throws Exception {
    ScriptedBackend broken = candidate().failing(true);
    ShadowRunner shadow = new ShadowRunner(everyFrame(16, 10), dir, broken, () -> true);
    try {
      for (long frame = 0; frame < 3; frame++) {
        shadow.onVerdict(judged(frame, DISAGREE));
      }
    } finally {
      shadow.close();
    }
    assertEquals(new ShadowRunner.Stats(3, 0, 0, 0, 0, 3, 0), shadow.stats());
    assertEquals(List.of(), Files.readAllLines(dir.resolve(ShadowRunner.RECORDS)));
  }

  @Test
  void shouldRefuseACandidateWithoutAModel() {
    ScriptedBackend none = new ScriptedBackend(1).model(null);
    assertThrows(
        IllegalArgumentException.class,
        () -> new ShadowRunner(everyFrame(2, 10), dir, none, () -> true));
  }
}
