package io.lineinspect.app.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.batching.BatchTimingModel;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.ModelSwitch;
import io.lineinspect.core.testing.ScriptedBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A rollback whose switch does not happen keeps the warm previous model for the next try. */
class RollbackTest {
  private static final ModelInfo V1 = new ModelInfo("m", "1", "1".repeat(64), 0.5f);
  private static final ModelInfo V2 = new ModelInfo("m", "2", "2".repeat(64), 0.5f);

  /** Stands in for the inference thread: takes every offer between two "batches". */
  private static final class InferenceThread implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    InferenceThread(ModelSwitch models, InferenceSession first) {
      thread =
          new Thread(
              () -> {
                InferenceSession current = first;
                while (running.get()) {
                  ModelSwitch.Offer o = models.take();
                  if (o != null) {
                    models.switched(current, System.nanoTime(), 1);
                    current = o.session();
                  }
                  Thread.onSpinWait();
                }
              },
              "test-inference");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(5000);
    }
  }

  @Test
  void shouldKeepTheWarmPreviousModelWhenTheRollbackSwitchTimesOut(@TempDir Path dir)
      throws Exception {
    ScriptedBackend v1 = new ScriptedBackend(4).model(V1);
    ScriptedBackend v2 = new ScriptedBackend(4).model(V2);
    ModelSwitch models = new ModelSwitch(v1);
    ServedModels served =
        new ServedModels(
            dir.resolve("models.state"),
            models,
            new BatchTimingModel(4, 40_000_000L, 4),
            v1,
            ModelState.empty(),
            null,
            300);
    ModelState.Entry e2 = new ModelState.Entry("m", "2", V2.sha256(), ServedModels.now(), "test");
    try (InferenceThread line = new InferenceThread(models, v1.newSession())) {
      assertNull(served.switchTo(new LoadedModel(v2, e2, null), v2.newSession(), false));
    }
    assertEquals("m@2", served.servedId());
    assertNotNull(served.previous(), "v1 kept warm after the activation");

    List<String> progress = new ArrayList<>();
    // The line is stopped: nobody takes the offer, the switch times out.
    Ending stuck = new Rollback(null, served).rollback(progress::add);
    assertEquals(Outcome.FAILED, stuck.outcome(), stuck.message());
    assertEquals("m@2", served.servedId());
    assertNotNull(served.previous(), "the warm previous model is given back, not leaked");

    // The line runs again: the rollback is the switch of a still-warm model (no registry needed:
    // the Candidates are null here, a load would throw).
    progress.clear();
    try (InferenceThread line = new InferenceThread(models, v2.newSession())) {
      Ending back = new Rollback(null, served).rollback(progress::add);
      assertEquals(Outcome.ACTIVATED, back.outcome(), back.message());
    }
    assertEquals("m@1", served.servedId());
    assertTrue(progress.get(0).contains("still loaded and warm"), progress.toString());
    served.close();
  }
}
