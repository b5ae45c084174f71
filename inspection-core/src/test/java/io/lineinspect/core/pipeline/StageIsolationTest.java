package io.lineinspect.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener can fail, the line cannot: faults injected into every part of the line path (a
 * listener, the ring translator, the inference thread, the watchdog, a stage that hangs or dies, a
 * drain that times out) never cost a frame its verdict or its order, and the stage keeps running —
 * or the pipeline's health names it.
 */
class StageIsolationTest {
  private static final long LONG_BUDGET_NS = TimeUnit.SECONDS.toNanos(30);

  private InspectionPipeline pipeline;

  @AfterEach
  void stop() {
    if (pipeline != null) {
      pipeline.close(5_000);
    }
  }

  private InspectionPipeline start(
      InferenceBackend backend, long budgetNs, VerdictListener listener, NanoClock clock) {
    return start(backend, budgetNs, listener, clock, null);
  }

  private InspectionPipeline start(
      InferenceBackend backend,
      long budgetNs,
      VerdictListener listener,
      NanoClock clock,
      Integer stallMs) {
    double maxDelayMs = clock == NanoClock.SYSTEM ? 1.0 : 0.0;
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(64, 1, 8, maxDelayMs, 16, null, null, stallMs),
            budgetNs,
            Verdict.FAIL,
            backend,
            listener,
            clock,
            Thread::new);
    pipeline.start();
    return pipeline;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - until > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  private static void assertInOrder(List<RecordingSource.Written> written, int n) {
    assertEquals(n, written.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i + 1, written.get(i).sequence(), "verdict " + i + " in arrival order");
    }
  }

  @Test
  void shouldDeliverEveryVerdictInOrderWhenAListenerThrowsOnEveryTenthVerdict() throws Exception {
    AtomicInteger seen = new AtomicInteger();
    AtomicInteger afterIt = new AtomicInteger();
    VerdictListener throwing =
        v -> {
          if (seen.incrementAndGet() % 10 == 0) {
            throw new IllegalStateException("listener bug");
          }
        };
    start(
        new ScriptedBackend(8),
        LONG_BUDGET_NS,
        VerdictListener.all(throwing, v -> afterIt.incrementAndGet()),
        NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    for (int i = 1; i <= 100; i++) {
      pipeline.publish(src, f.set(i, System.nanoTime(), i % 2 == 0 ? 255 : 0));
      if (i % 8 == 0) {
        Thread.sleep(1);
      }
    }
    await(() -> src.count() == 100, "100 verdicts");
    assertInOrder(src.written(), 100);
    assertEquals(100, afterIt.get(), "the listener after the throwing one saw every verdict");
    long errors = pipeline.listenerErrors().values().stream().mapToLong(Long::longValue).sum();
    assertEquals(10, errors, pipeline.listenerErrors().toString());
  }

  @Test
  void shouldGiveAFrameWhoseTranslatorThrowsABadImageVerdictAndCarryOn() throws Exception {
    start(new ScriptedBackend(8), LONG_BUDGET_NS, null, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame good = new TestFrame();
    TestFrame broken = new TestFrame().throwing(true);
    for (int i = 1; i <= 5; i++) {
      if (i == 3) {
        pipeline.publish(src, broken.set(3, System.nanoTime(), 0));
      } else {
        pipeline.publish(src, good.set(i, System.nanoTime(), 0));
      }
    }
    await(() -> src.count() == 5, "5 verdicts");
    List<RecordingSource.Written> w = src.written();
    assertInOrder(w, 5);
    assertEquals(ReasonCode.BAD_IMAGE, w.get(2).reason());
    assertEquals(Verdict.FAIL, w.get(2).verdict());
    for (int i : new int[] {0, 1, 3, 4}) {
      assertEquals(ReasonCode.NONE, w.get(i).reason(), "frame " + (i + 1));
    }
    assertEquals(1, pipeline.translatorErrors());
  }

  /**
   * A backend for faults: its session can throw an {@link Error} (not an Exception) on the next
   * batch, or fail to open; the score is the payload byte / 255.
   */
  private static final class FaultyBackend implements InferenceBackend {
    final AtomicBoolean throwNext = new AtomicBoolean();
    final AtomicBoolean sessionFails = new AtomicBoolean();

    @Override
    public ModelInfo model() {
      return ScriptedBackend.MODEL;
    }

    @Override
    public int maxBatch() {
      return 8;
    }

    @Override
    public Preprocessor newPreprocessor() {
      return frame -> {
        frame.input(1)[0] = frame.payload()[0] & 0xFF;
        return true;
      };
    }

    @Override
    public InferenceSession newSession() {
      if (sessionFails.get()) {
        throw new IllegalStateException("no device");
      }
      return (batch, count) -> {
        if (throwNext.getAndSet(false)) {
          throw new Error("unexpected error inside the runtime");
        }
        for (int i = 0; i < count; i++) {
          batch[i].setResult(batch[i].input()[0] / 255f, "x");
        }
      };
    }

    @Override
    public void close() {}
  }

  @Test
  void shouldKeepJudgingAfterAnUnexpectedErrorOnTheInferenceThread() throws Exception {
    FaultyBackend backend = new FaultyBackend();
    start(backend, LONG_BUDGET_NS, null, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    pipeline.publish(src, f.set(1, System.nanoTime(), 0));
    await(() -> src.count() == 1, "first verdict");
    backend.throwNext.set(true);
    pipeline.publish(src, f.set(2, System.nanoTime(), 0));
    await(() -> src.count() == 2, "verdict of the frame whose batch hit the error");
    pipeline.publish(src, f.set(3, System.nanoTime(), 0));
    await(() -> src.count() == 3, "verdict after the error");
    List<RecordingSource.Written> w = src.written();
    assertInOrder(w, 3);
    assertEquals(ReasonCode.INFERENCE_ERROR, w.get(1).reason());
    assertEquals(Verdict.FAIL, w.get(1).verdict());
    assertEquals(ReasonCode.NONE, w.get(2).reason(), "infer-0 still judges");
    Stage infer = stage("infer-0");
    assertTrue(infer.errors() >= 1, "the error was counted on infer-0");
    assertTrue(pipeline.health().problems().isEmpty(), pipeline.health().problems().toString());
  }

  private Stage stage(String name) {
    return pipeline.health().stages().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void shouldKeepDeadlineProtectionAfterAnUnexpectedErrorOnTheWatchdog() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    AtomicInteger throwsLeft = new AtomicInteger();
    NanoClock clock =
        () -> {
          if (Thread.currentThread().getName().equals("deadline-watchdog")
              && throwsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("clock glitch on the watchdog");
          }
          return now.get();
        };
    ScriptedBackend backend = new ScriptedBackend(8).gated(true);
    start(backend, TimeUnit.MILLISECONDS.toNanos(50), null, clock);
    RecordingSource src = new RecordingSource("cam");
    throwsLeft.set(3);
    await(() -> throwsLeft.get() == 0, "the watchdog hit the glitch");
    pipeline.publish(src, new TestFrame().set(1, now.get(), 0));
    await(() -> backend.batchesStarted() == 1, "inference started (and hangs)");
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(49));
    await(() -> src.count() == 1, "the watchdog's verdict after its own error");
    assertEquals(ReasonCode.DEADLINE, src.written().get(0).reason());
    assertEquals(3, stage("deadline-watchdog").errors());
    backend.release(10);
  }

  @Test
  void shouldGiveEveryFrameStillInTheRingAVerdictWhenTheDrainTimesOut() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).gated(true);
    AtomicInteger listened = new AtomicInteger();
    start(backend, LONG_BUDGET_NS, v -> listened.incrementAndGet(), NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    for (int i = 1; i <= 5; i++) {
      pipeline.publish(src, f.set(i, System.nanoTime(), 0));
    }
    await(() -> backend.batchesStarted() == 1, "inference started (and hangs)");
    pipeline.close(100);
    List<RecordingSource.Written> w = src.written();
    assertInOrder(w, 5);
    for (RecordingSource.Written v : w) {
      assertEquals(ReasonCode.DEADLINE, v.reason());
      assertEquals(Verdict.FAIL, v.verdict());
    }
    assertEquals(5, listened.get(), "the actuators and the audit got them too");
    backend.release(10);
    pipeline = null;
  }

  @Test
  void shouldNameTheInferenceStageWhenItsSessionCannotBeCreated() throws Exception {
    FaultyBackend backend = new FaultyBackend();
    backend.sessionFails.set(true);
    start(backend, LONG_BUDGET_NS, null, NanoClock.SYSTEM);
    await(() -> !pipeline.health().problems().isEmpty(), "a health problem");
    String problems = pipeline.health().problems().toString();
    assertTrue(problems.contains("infer-0"), problems);
  }

  @Test
  void shouldNameAStalledStage() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).gated(true);
    start(backend, LONG_BUDGET_NS, null, NanoClock.SYSTEM, 200);
    assertTrue(pipeline.health().problems().isEmpty(), pipeline.health().problems().toString());
    pipeline.publish(new RecordingSource("cam"), new TestFrame().set(1, System.nanoTime(), 0));
    await(() -> !pipeline.health().problems().isEmpty(), "infer-0 reported stalled");
    String problems = pipeline.health().problems().toString();
    assertTrue(problems.contains("infer-0: stalled"), problems);
    backend.release(10);
    await(() -> pipeline.health().problems().isEmpty(), "healthy again once the batch returned");
  }
}
