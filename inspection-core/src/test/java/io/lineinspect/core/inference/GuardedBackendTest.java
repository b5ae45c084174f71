package io.lineinspect.core.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.testing.LatchedBackend;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The model is released when its last user leaves, never under a running inference. */
class GuardedBackendTest {
  private static final ModelInfo MODEL = new ModelInfo("guarded", "1", "0".repeat(64), 0.5f);

  @Test
  void shouldReleaseAtOnceWhenNoSessionIsOpenAndRefuseNewSessionsAfterClose() {
    LatchedBackend b = new LatchedBackend(MODEL);
    b.close();
    assertTrue(b.released());
    assertEquals(Thread.currentThread().getName(), b.releasedOn);
    assertThrows(IllegalStateException.class, b::newSession);
    b.close(); // idempotent
  }

  @Test
  void shouldReleaseWhenTheLastOpenSessionClosesAndFailInferenceOnAClosedSession()
      throws Exception {
    LatchedBackend b = new LatchedBackend(MODEL);
    InferenceSession first = b.newSession();
    InferenceSession second = b.newSession();
    b.close();
    assertFalse(b.released(), "two sessions are open");
    first.close();
    assertFalse(b.released(), "one session is open");
    second.close();
    assertTrue(b.released());
    FrameEvent[] batch = {FrameEvent.forWarmUp(1)};
    assertThrows(IllegalStateException.class, () -> first.infer(batch, 1));
    assertFalse(b.usedAfterRelease);
  }

  @Test
  void shouldHandTheCloseOfASessionInUseToTheThreadInsideInfer() throws Exception {
    LatchedBackend b = new LatchedBackend(MODEL);
    InferenceSession s = b.newSession();
    Thread user =
        new Thread(
            () -> {
              try {
                s.infer(new FrameEvent[] {FrameEvent.forWarmUp(1)}, 1);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "user");
    user.start();
    assertTrue(b.entered.await(5, TimeUnit.SECONDS));
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> {
          s.close(); // e.g. a lifecycle closing a session: never waits, never frees it now
          b.close();
        });
    assertEquals(0, b.sessionClosedNs, "the session's resources are still in use");
    assertFalse(b.released());
    b.proceed.countDown();
    assertTrue(b.awaitReleased(5_000));
    user.join(5_000);
    assertEquals("user", b.releasedOn, "released by the thread that was inside, on its way out");
    assertTrue(b.inferReturnedNs - b.sessionClosedNs <= 0, "session closed after infer returned");
    assertTrue(b.sessionClosedNs - b.releasedNs <= 0, "model released after the session");
    assertFalse(b.usedAfterRelease);
  }
}
