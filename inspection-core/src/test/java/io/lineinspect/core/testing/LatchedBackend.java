package io.lineinspect.core.testing;

import io.lineinspect.core.inference.GuardedBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend with native-like resources whose inference blocks until the test lets it go: it records
 * when the (last) inference returned, when its sessions and the model were released, and on which
 * thread, and fails loudly if it is used after release. Scores like {@link ScriptedBackend}: first
 * payload byte / 255.
 */
public final class LatchedBackend extends GuardedBackend {
  /** Counted down when an inference has entered and is blocked. */
  public final CountDownLatch entered = new CountDownLatch(1);

  /** Counted down by the test to let blocked inferences return. */
  public final CountDownLatch proceed = new CountDownLatch(1);

  private final ModelInfo model;
  private final AtomicInteger inside = new AtomicInteger();
  public volatile long inferReturnedNs;
  public volatile long sessionClosedNs;
  public volatile long releasedNs;
  public volatile String releasedOn;
  public volatile boolean usedAfterRelease;

  public LatchedBackend(ModelInfo model) {
    this.model = model;
  }

  /** Threads inside {@code infer} now. */
  public int inside() {
    return inside.get();
  }

  @Override
  public ModelInfo model() {
    return model;
  }

  @Override
  public int maxBatch() {
    return 8;
  }

  @Override
  public Preprocessor newPreprocessor() {
    return frame -> {
      frame.input(1)[0] = frame.payloadLength() == 0 ? 0f : (frame.payload()[0] & 0xFF) / 255f;
      return true;
    };
  }

  @Override
  protected InferenceSession openSession() {
    return new InferenceSession() {
      @Override
      public void infer(FrameEvent[] batch, int count) throws Exception {
        if (releasedNs != 0) {
          usedAfterRelease = true;
        }
        inside.incrementAndGet();
        try {
          entered.countDown();
          if (!proceed.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never let the inference return");
          }
          if (releasedNs != 0) {
            usedAfterRelease = true; // the model was freed under this call
          }
          for (int i = 0; i < count; i++) {
            batch[i].setResult(batch[i].input()[0], "");
          }
        } finally {
          inside.decrementAndGet();
          inferReturnedNs = System.nanoTime();
        }
      }

      @Override
      public void close() {
        if (inside.get() > 0) {
          usedAfterRelease = true; // a predictor closed under a running call
        }
        sessionClosedNs = System.nanoTime();
      }
    };
  }

  @Override
  protected void release() {
    if (inside.get() > 0) {
      usedAfterRelease = true;
    }
    releasedOn = Thread.currentThread().getName();
    releasedNs = System.nanoTime();
  }
}
