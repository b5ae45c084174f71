package io.lineinspect.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InspectionPipelineTest {
  private static final long LONG_BUDGET_NS = TimeUnit.SECONDS.toNanos(30);

  private InspectionPipeline pipeline;
  private int preprocessWorkers = 2;
  private double idlePollUs = 0;

  @AfterEach
  void stop() {
    if (pipeline != null) {
      pipeline.close(5_000);
    }
  }

  private InspectionPipeline start(
      ScriptedBackend backend, int ringSize, int maxBatch, long budgetNs, NanoClock clock) {
    // A frozen fake clock never lets maxDelay expire, so fake-clock tests batch on what is there.
    double maxDelayMs = clock == NanoClock.SYSTEM ? 1.0 : 0.0;
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(
                ringSize, preprocessWorkers, maxBatch, maxDelayMs, 16, null, idlePollUs),
            budgetNs,
            Verdict.FAIL,
            backend,
            null,
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

  @Test
  void shouldCountTheSourcesOfAnotherAdapterInTheRecount() throws Exception {
    start(new ScriptedBackend(8), 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource camera = new RecordingSource("cam-tcp");
    RecordingSource dropped = new RecordingSource("cam-drop");
    pipeline.addRecountedSources(List.of(dropped));
    TestFrame f = new TestFrame();
    pipeline.publish(camera, f.set(1, System.nanoTime(), 1));
    pipeline.publish(dropped, f.set(1, System.nanoTime(), 1));
    pipeline.recountActiveSources(List.of(camera)); // the camera server knows only its own
    assertEquals(2, pipeline.activeSources(), "the drop's source is counted in the recount");
    pipeline.removeRecountedSources(List.of(dropped));
    pipeline.recountActiveSources(List.of(camera));
    assertEquals(1, pipeline.activeSources(), "removed with its adapter");
    await(() -> camera.written().size() == 1 && dropped.written().size() == 1, "both verdicts");
  }

  @Test
  void shouldEmitExactlyOneVerdictPerFrameInArrivalOrderForEverySource() throws Exception {
    start(new ScriptedBackend(8), 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    int sources = 3;
    int frames = 3_000;
    List<RecordingSource> recorders = new ArrayList<>();
    List<Thread> producers = new ArrayList<>();
    for (int s = 0; s < sources; s++) {
      RecordingSource src = new RecordingSource("cam-" + s);
      recorders.add(src);
      producers.add(
          new Thread(
              () -> {
                TestFrame f = new TestFrame();
                for (int i = 1; i <= frames; i++) {
                  pipeline.publish(src, f.set(i, System.nanoTime(), i % 256));
                }
              }));
    }
    producers.forEach(Thread::start);
    for (Thread t : producers) {
      t.join();
    }
    await(() -> recorders.stream().allMatch(r -> r.count() >= frames), "all verdicts");
    Thread.sleep(50);
    for (RecordingSource r : recorders) {
      List<RecordingSource.Written> w = r.written();
      assertEquals(frames, w.size(), r.cameraId() + " verdict count");
      for (int i = 0; i < frames; i++) {
        assertEquals(i + 1, w.get(i).sequence(), r.cameraId() + " order at " + i);
        if (w.get(i).reason() == ReasonCode.NONE) {
          Verdict expected = ((i + 1) % 256) / 255f >= 0.5f ? Verdict.FAIL : Verdict.PASS;
          assertEquals(expected, w.get(i).verdict(), "verdict follows the score");
        } else {
          assertEquals(ReasonCode.OVERLOAD, w.get(i).reason());
          assertEquals(Verdict.FAIL, w.get(i).verdict());
        }
      }
    }
    assertEquals((long) sources * frames, pipeline.metrics().snapshot().verdicts());
  }

  @Test
  void shouldPreprocessInlineAndStillEmitOneVerdictPerFrameInOrderWithIdlePolling()
      throws Exception {
    // preprocessWorkers 0: the inference thread preprocesses (the verdicts follow the scores the
    // preprocessor derives from the payload); idle polling changes only how threads wait.
    preprocessWorkers = 0;
    idlePollUs = 50;
    shouldEmitExactlyOneVerdictPerFrameInArrivalOrderForEverySource();
  }

  @Test
  void shouldFailSafeOverloadWhenRingIsFullAndStillKeepCameraOrder() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(4).gated(true);
    start(backend, 8, 4, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    int accepted = 0;
    int rejected = 0;
    for (int i = 1; i <= 40; i++) {
      if (pipeline.publish(src, f.set(i, System.nanoTime(), 0))) {
        accepted++;
      } else {
        rejected++;
      }
    }
    assertTrue(rejected > 0, "a full ring must reject");
    assertEquals(0, src.count(), "overload verdicts wait for the earlier, pending frames");
    backend.gated(false);
    await(() -> src.count() == 40, "40 verdicts");
    List<RecordingSource.Written> w = src.written();
    long overloads = w.stream().filter(x -> x.reason() == ReasonCode.OVERLOAD).count();
    assertEquals(rejected, overloads);
    assertEquals(accepted, 40 - overloads);
    for (int i = 0; i < 40; i++) {
      assertEquals(i + 1, w.get(i).sequence(), "order at " + i);
    }
    w.stream()
        .filter(x -> x.reason() == ReasonCode.OVERLOAD)
        .forEach(x -> assertEquals(Verdict.FAIL, x.verdict()));
  }

  @Test
  void shouldWriteOverloadVerdictAtOnceWhenNothingEarlierIsPending() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(4).gated(true);
    start(backend, 8, 4, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource busy = new RecordingSource("busy");
    TestFrame f = new TestFrame();
    for (int i = 1; i <= 8; i++) {
      pipeline.publish(busy, f.set(i, System.nanoTime(), 0));
    }
    // The one slot a flood leaves free goes to the first camera starting beside it ...
    RecordingSource newcomer = new RecordingSource("newcomer");
    assertTrue(pipeline.publish(newcomer, f.set(1, System.nanoTime(), 0)));
    // ... then the line is full for everyone.
    RecordingSource idle = new RecordingSource("idle");
    assertFalse(pipeline.publish(idle, f.set(1, System.nanoTime(), 0)));
    assertEquals(1, idle.count(), "nothing earlier from this camera: written immediately");
    assertEquals(ReasonCode.OVERLOAD, idle.written().get(0).reason());
    backend.gated(false);
    await(() -> busy.count() == 8, "busy verdicts");
  }

  @Test
  void shouldFailSafeBadImageWithoutCallingTheBackend() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8);
    start(backend, 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    pipeline.publish(src, f.set(1, System.nanoTime(), 0).bad("payload too short"));
    await(() -> src.count() == 1, "verdict");
    assertEquals(ReasonCode.BAD_IMAGE, src.written().get(0).reason());
    assertEquals(Verdict.FAIL, src.written().get(0).verdict());
    assertEquals(0, backend.batchesStarted());
  }

  @Test
  void shouldFailSafeInferenceErrorAndRecoverWhenTheBackendRecovers() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).failing(true);
    start(backend, 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    pipeline.publish(src, f.set(1, System.nanoTime(), 0));
    await(() -> src.count() == 1, "first verdict");
    assertEquals(ReasonCode.INFERENCE_ERROR, src.written().get(0).reason());
    backend.failing(false);
    pipeline.publish(src, f.set(2, System.nanoTime(), 0));
    await(() -> src.count() == 2, "second verdict");
    assertEquals(ReasonCode.NONE, src.written().get(1).reason());
    assertEquals(Verdict.PASS, src.written().get(1).verdict());
  }

  /**
   * Eight frames in one burst (one batch of 8 when the inference thread is fast, a few batches
   * otherwise): bytes 10, 20, 30 are judged PASS, 220 FAIL; the four unusable ones are returned.
   */
  private List<RecordingSource.Written> judgeBurstWithUnusableScores() throws Exception {
    ScriptedBackend backend =
        new ScriptedBackend(8)
            .rawScore(200, Float.NaN)
            .rawScore(201, Float.POSITIVE_INFINITY)
            .rawScore(202, -1f)
            .rawScore(203, 7f);
    start(backend, 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    int[] bytes = {10, 200, 20, 201, 202, 30, 203, 220};
    for (int i = 0; i < bytes.length; i++) {
      pipeline.publish(src, f.set(i + 1, System.nanoTime(), bytes[i]));
    }
    await(() -> src.count() == bytes.length, "8 verdicts");
    List<RecordingSource.Written> w = src.written();
    Verdict[] judged = {Verdict.PASS, null, Verdict.PASS, null, null, Verdict.PASS, null};
    for (int i = 0; i < judged.length; i++) {
      if (judged[i] != null) {
        assertEquals(ReasonCode.NONE, w.get(i).reason(), "frame " + (i + 1));
        assertEquals(judged[i], w.get(i).verdict(), "frame " + (i + 1));
      }
    }
    assertEquals(ReasonCode.NONE, w.get(7).reason());
    assertEquals(Verdict.FAIL, w.get(7).verdict());
    return List.of(w.get(1), w.get(3), w.get(4), w.get(6));
  }

  @Test
  void shouldFailSafeInferenceErrorForNaNInfiniteAndOutOfRangeScoresAndJudgeTheRestOfTheBatch()
      throws Exception {
    List<RecordingSource.Written> bad = judgeBurstWithUnusableScores();
    for (RecordingSource.Written w : bad) {
      // NaN >= threshold is false: without the check a NaN score would PASS the part.
      assertEquals(ReasonCode.INFERENCE_ERROR, w.reason(), "frame " + w.sequence());
      assertEquals(Verdict.FAIL, w.verdict(), "frame " + w.sequence() + " must not PASS");
    }
    assertEquals(4, pipeline.metrics().invalidScores());
  }

  @Test
  void shouldFailSafeNoModelWhenNoneIsLoaded() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).model(null);
    start(backend, 64, 8, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    pipeline.publish(src, new TestFrame().set(1, System.nanoTime(), 0));
    await(() -> src.count() == 1, "verdict");
    assertEquals(ReasonCode.NO_MODEL, src.written().get(0).reason());
    assertEquals(0, backend.batchesStarted());
  }

  @Test
  void shouldUseTheConfiguredFailSafeVerdict() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(8).model(null);
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(64, 1, 8, 1.0, 16),
            LONG_BUDGET_NS,
            Verdict.PASS,
            backend,
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    RecordingSource src = new RecordingSource("cam");
    pipeline.publish(src, new TestFrame().set(1, System.nanoTime(), 255));
    await(() -> src.count() == 1, "verdict");
    assertEquals(Verdict.PASS, src.written().get(0).verdict());
    assertEquals(ReasonCode.NO_MODEL, src.written().get(0).reason());
  }

  @Test
  void shouldFailSafeDeadlineForAFrameAlreadyPastItsBudget() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    ScriptedBackend backend = new ScriptedBackend(8);
    start(backend, 64, 8, TimeUnit.MILLISECONDS.toNanos(50), now::get);
    RecordingSource src = new RecordingSource("cam");
    // Received 60 ms ago on the service clock: past saving before it is even queued.
    pipeline.publish(src, new TestFrame().set(1, now.get() - TimeUnit.MILLISECONDS.toNanos(60), 0));
    await(() -> src.count() == 1, "verdict");
    assertEquals(ReasonCode.DEADLINE, src.written().get(0).reason());
    assertEquals(Verdict.FAIL, src.written().get(0).verdict());
    assertEquals(0, backend.batchesStarted(), "no inference spent on a frame past saving");
  }

  @Test
  void shouldSendTheFailSafeVerdictAtTheDeadlineWhileInferenceHangs() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    ScriptedBackend backend = new ScriptedBackend(8).gated(true);
    start(backend, 64, 8, TimeUnit.MILLISECONDS.toNanos(50), now::get);
    RecordingSource src = new RecordingSource("cam");
    pipeline.publish(src, new TestFrame().set(1, now.get(), 0));
    await(() -> backend.batchesStarted() == 1, "inference started");
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(47)); // not yet within the 2 ms lead
    Thread.sleep(20);
    assertEquals(0, src.count(), "nothing before deadline minus lead");
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2)); // 1 ms before the deadline
    await(() -> src.count() == 1, "watchdog verdict while the backend still hangs");
    assertEquals(ReasonCode.DEADLINE, src.written().get(0).reason());
    assertEquals(Verdict.FAIL, src.written().get(0).verdict());
    backend.release(1);
    await(() -> pipeline.metrics().snapshot().lateResults() == 1, "late result recorded");
    Thread.sleep(20);
    assertEquals(1, src.count(), "the late result never sends a second verdict");
    assertEquals(1, pipeline.metrics().snapshot().watchdogVerdicts());
  }

  @Test
  void shouldLetTheWatchdogStayQuietWhenTheResultWinsTheRace() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    ScriptedBackend backend = new ScriptedBackend(8);
    start(backend, 64, 8, TimeUnit.MILLISECONDS.toNanos(50), now::get);
    RecordingSource src = new RecordingSource("cam");
    pipeline.publish(src, new TestFrame().set(1, now.get(), 255));
    await(() -> src.count() == 1, "verdict");
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100)); // deadline passes after the verdict left
    Thread.sleep(20);
    assertEquals(1, src.count());
    assertEquals(ReasonCode.NONE, src.written().get(0).reason());
    assertEquals(Verdict.FAIL, src.written().get(0).verdict());
    assertEquals(0, pipeline.metrics().snapshot().watchdogVerdicts());
    assertEquals(0, pipeline.metrics().snapshot().lateResults());
  }

  @Test
  void shouldKeepExactlyOneVerdictInOrderWhenWatchdogAndPipelineRace() throws Exception {
    // Real clock, 10 ms budget, batches of random 0-9 ms: a mix of judged and watchdog verdicts,
    // with claims racing at the deadline.
    java.util.Random random = new java.util.Random(7);
    ScriptedBackend backend = new ScriptedBackend(4);
    start(backend, 64, 4, TimeUnit.MILLISECONDS.toNanos(10), NanoClock.SYSTEM);
    RecordingSource[] sources = {new RecordingSource("a"), new RecordingSource("b")};
    TestFrame f = new TestFrame();
    int frames = 600;
    for (int i = 1; i <= frames; i++) {
      backend.batchNanos(random.nextInt(9_000_000));
      for (RecordingSource s : sources) {
        pipeline.publish(s, f.set(i, System.nanoTime(), 0));
      }
      if (i % 20 == 0) {
        Thread.sleep(2);
      }
    }
    for (RecordingSource s : sources) {
      await(
          () -> s.count() >= frames,
          s.cameraId()
              + " verdicts (have "
              + s.count()
              + ", metrics "
              + pipeline.metrics().snapshot().verdicts()
              + ")");
    }
    Thread.sleep(50);
    long judged = 0;
    for (RecordingSource s : sources) {
      List<RecordingSource.Written> w = s.written();
      assertEquals(frames, w.size(), "exactly one verdict per frame");
      for (int i = 0; i < frames; i++) {
        assertEquals(i + 1, w.get(i).sequence(), "order");
        judged += w.get(i).reason() == ReasonCode.NONE ? 1 : 0;
      }
    }
    PipelineMetrics.Snapshot m = pipeline.metrics().snapshot();
    assertTrue(m.watchdogVerdicts() > 0, "the watchdog must have fired: " + m.byReason());
    assertTrue(judged > 0, "some frames must have been judged: " + m.byReason());
    assertEquals(2L * frames, m.verdicts());
  }

  @Test
  void shouldFormBatchesNoLargerThanMaxBatch() throws Exception {
    ScriptedBackend backend = new ScriptedBackend(64).batchNanos(TimeUnit.MILLISECONDS.toNanos(2));
    start(backend, 256, 4, LONG_BUDGET_NS, NanoClock.SYSTEM);
    RecordingSource src = new RecordingSource("cam");
    TestFrame f = new TestFrame();
    for (int i = 1; i <= 200; i++) {
      pipeline.publish(src, f.set(i, System.nanoTime(), 0));
    }
    await(() -> src.count() == 200, "verdicts");
    assertTrue(
        backend.batchSizes().stream().allMatch(n -> n >= 1 && n <= 4),
        backend.batchSizes().toString());
    assertTrue(backend.batchSizes().stream().anyMatch(n -> n > 1), "a backlog must be batched");
  }
}
