package io.lineinspect.core.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.RecordingSource;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hot swap seam: the served model changes between two batches, on the inference thread. */
class ModelSwitchTest {
  private static final ModelInfo V8 = new ModelInfo("scripted", "8", "1".repeat(64), 0.9f);

  private InspectionPipeline pipeline;

  @AfterEach
  void stop() {
    if (pipeline != null) {
      pipeline.close(5_000);
    }
  }

  private InspectionPipeline pipeline(ScriptedBackend backend, VerdictListener listener) {
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(256, 1, 8, 1.0, 16, null, 0.0),
            TimeUnit.SECONDS.toNanos(30),
            Verdict.FAIL,
            backend,
            listener,
            NanoClock.SYSTEM,
            Thread::new);
    return pipeline;
  }

  @Test
  void shouldSwitchEveryVerdictFromOneModelToTheOtherAtOnePointWhileFramesFlow() throws Exception {
    // One camera publishes steadily; the switch is offered in the middle. Every frame must get
    // exactly one verdict, the model ids in emission order must be 7…7 8…8 (one switch point),
    // and the new model's threshold (0.9 instead of 0.5) must decide from that point on.
    List<String> versions = new ArrayList<>();
    List<Float> scores = new ArrayList<>();
    List<Verdict> verdicts = new ArrayList<>();
    ScriptedBackend v7 = new ScriptedBackend(8).sleeping(200_000, 20_000);
    pipeline(
        v7,
        v -> {
          if (v.reason() == ReasonCode.NONE) {
            synchronized (versions) {
              versions.add(v.model().version());
              scores.add(v.score());
              verdicts.add(v.verdict());
            }
          }
        });
    pipeline.start();
    RecordingSource cam = new RecordingSource("cam-1");
    int frames = 3_000;
    AtomicBoolean halfway = new AtomicBoolean();
    Thread producer =
        new Thread(
            () -> {
              TestFrame f = new TestFrame();
              for (int i = 1; i <= frames; i++) {
                pipeline.publish(cam, f.set(i, System.nanoTime(), (i * 7) % 256));
                if (i == frames / 2) {
                  halfway.set(true);
                }
                if (i % 50 == 0) {
                  java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
              }
            });
    producer.start();
    while (!halfway.get()) {
      Thread.sleep(1);
    }
    ScriptedBackend v8 = new ScriptedBackend(8).model(V8);
    InferenceSession warmed = v8.newSession();
    long[] timings = new long[9];
    java.util.Arrays.fill(timings, 1, 9, 3_000_000);
    ModelSwitch.Switched sw =
        pipeline.models().switchTo(new ModelSwitch.Offer(v8, warmed, timings), 5_000);
    producer.join();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cam.count() < frames && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(frames, cam.count(), "every frame has a verdict");
    assertEquals("7", sw.from().version());
    assertEquals("8", sw.to().version());
    assertSame(V8, pipeline.models().model());
    assertNotNull(sw.previousSession(), "the old session goes back to the lifecycle");
    synchronized (versions) {
      int switchPoints = 0;
      for (int i = 1; i < versions.size(); i++) {
        if (!versions.get(i).equals(versions.get(i - 1))) {
          switchPoints++;
        }
      }
      assertEquals(1, switchPoints, "versions in emission order: one switch point");
      assertEquals("7", versions.get(0));
      assertEquals("8", versions.get(versions.size() - 1));
      for (int i = 0; i < versions.size(); i++) {
        float threshold = versions.get(i).equals("8") ? 0.9f : 0.5f;
        Verdict expected = scores.get(i) >= threshold ? Verdict.FAIL : Verdict.PASS;
        assertEquals(expected, verdicts.get(i), "verdict " + i + " by its own model's threshold");
      }
    }
    // The batcher starts from the candidate's measured times, then learns the live ones.
    assertTrue(pipeline.timing().predictNs(8) > 0);
  }

  @Test
  void shouldKeepTheServedModelWhenTheInferenceThreadDoesNotTakeTheOffer() throws Exception {
    ScriptedBackend v7 = new ScriptedBackend(8);
    pipeline(v7, null); // never started: nobody takes the offer
    ScriptedBackend v8 = new ScriptedBackend(8).model(V8);
    TimeoutException e =
        assertThrows(
            TimeoutException.class,
            () ->
                pipeline.models().switchTo(new ModelSwitch.Offer(v8, v8.newSession(), null), 200));
    assertTrue(e.getMessage().contains("did not take the new model"), e.getMessage());
    assertEquals("7", pipeline.models().model().version());
    // The withdrawn offer leaves room for the next one (no "pending" left behind).
    assertThrows(
        TimeoutException.class,
        () -> pipeline.models().switchTo(new ModelSwitch.Offer(v8, v8.newSession(), null), 50));
  }

  @Test
  void shouldSwitchAnIdleLineWithinItsPollingInterval() throws Exception {
    ScriptedBackend v7 = new ScriptedBackend(8);
    pipeline(v7, null).start();
    ScriptedBackend v8 = new ScriptedBackend(8).model(V8);
    long t0 = System.nanoTime();
    // An idle inference thread re-checks for an offer every 200 µs (the ring's wait timeout);
    // 500 ms leaves room for a loaded machine, and is far below the switch's 5 s timeout, so a
    // thread that only looks between batches, or on a long timer, fails here instead of passing.
    pipeline.models().switchTo(new ModelSwitch.Offer(v8, v8.newSession(), null), 5_000);
    long tookNs = System.nanoTime() - t0;
    assertSame(V8, pipeline.models().model());
    assertTrue(
        tookNs < TimeUnit.MILLISECONDS.toNanos(500),
        "no frame was needed, and the idle line took it within its polling interval: "
            + tookNs / 1_000
            + " µs");
  }
}
