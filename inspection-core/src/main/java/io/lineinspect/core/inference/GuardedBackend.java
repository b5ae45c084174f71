package io.lineinspect.core.inference;

import io.lineinspect.core.pipeline.FrameEvent;
import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Base of a backend that holds native resources (a DJL model): its resources are released only when
 * no thread can be inside them. Closing a model under a running forward pass is a use-after-free in
 * native code; the threads that use a model beside the line (a shadow model, a candidate's warm-up
 * and gate) can be slow to stop, and their owners must not wait for them unboundedly. So closing is
 * a reference count, not a wait:
 *
 * <ul>
 *   <li>The owner holds one reference; every open session holds one more. {@link #close()} gives up
 *       the owner's; {@link #newSession()} fails once it was called.
 *   <li>A session's {@link InferenceSession#close()} gives up its reference — but if another thread
 *       is inside {@link InferenceSession#infer} at that moment, the close is handed to that thread
 *       and happens when its call returns. A session closed by its own thread (the usual case)
 *       closes at once; {@code infer} after close throws (the batch fails safe).
 *   <li>{@link #release()} runs exactly once, on the thread that gave up the last reference: the
 *       owner's {@code close()} when no session is open, else the last session's close (for a
 *       shadow model: its own thread, after its last inference returned).
 * </ul>
 *
 * A session that is never closed keeps the model loaded (a leak, logged at close), never freed
 * under a caller. The cost on the hot path is two uncontended monitor enters per batch.
 *
 * <p>Threading: any thread may call {@link #close()}; a session belongs to one using thread, and
 * any thread may close it.
 */
public abstract class GuardedBackend implements InferenceBackend {
  private static final System.Logger LOG = System.getLogger(GuardedBackend.class.getName());

  private final Object lock = new Object();
  private final CountDownLatch released = new CountDownLatch(1);
  private int openSessions; // guarded by lock
  private boolean closing; // guarded by lock

  /** A new session of the subclass's model, owned by the calling thread. */
  protected abstract InferenceSession openSession();

  /** Frees the model's resources; called exactly once, when nobody can be using them. */
  protected abstract void release();

  /**
   * A session whose close, and so the model's release, never overlaps a running {@code infer}.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public final InferenceSession newSession() {
    synchronized (lock) {
      if (closing) {
        throw new IllegalStateException(describe() + " is closed: no new session");
      }
      openSessions++;
    }
    try {
      return new Guarded(openSession());
    } catch (RuntimeException | Error e) {
      leave();
      throw e;
    }
  }

  /**
   * Gives up the owner's reference: the model is released now when no session is open, else when
   * the last one closes (after its running inference, if any, returned). Idempotent; never waits.
   */
  @Override
  public final void close() {
    int open;
    synchronized (lock) {
      if (closing) {
        return;
      }
      closing = true;
      open = openSessions;
    }
    if (open == 0) {
      doRelease();
    } else {
      LOG.log(
          Level.INFO,
          "{0}: close deferred until its {1} open session(s) are closed (none is freed under a"
              + " running inference)",
          describe(),
          String.valueOf(open));
    }
  }

  /** True once the model's resources were released. */
  public final boolean released() {
    return released.getCount() == 0;
  }

  /** Waits up to {@code timeoutMs} for the release; true when it happened. */
  public final boolean awaitReleased(long timeoutMs) throws InterruptedException {
    return released.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private void leave() {
    boolean last;
    synchronized (lock) {
      openSessions--;
      last = closing && openSessions == 0;
    }
    if (last) {
      doRelease();
    }
  }

  private void doRelease() {
    try {
      release();
    } finally {
      released.countDown();
    }
  }

  private String describe() {
    ModelInfo m = model();
    return m == null ? getClass().getSimpleName() : m.id();
  }

  /** Counts the calls inside {@code infer}; the close waits for the last one to leave. */
  private final class Guarded implements InferenceSession {
    private final InferenceSession inner;
    private int inside; // guarded by this
    private boolean closed; // guarded by this

    Guarded(InferenceSession inner) {
      this.inner = inner;
    }

    @Override
    public void infer(FrameEvent[] batch, int count) throws Exception {
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("the session of " + describe() + " is closed");
        }
        inside++;
      }
      try {
        inner.infer(batch, count);
      } finally {
        boolean finish;
        synchronized (this) {
          inside--;
          finish = closed && inside == 0;
        }
        if (finish) {
          finish(); // the close was handed to this thread: it happens now that infer returned
        }
      }
    }

    @Override
    public void close() {
      boolean finish;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        finish = inside == 0;
      }
      if (finish) {
        finish();
      }
    }

    private void finish() {
      try {
        inner.close();
      } finally {
        leave();
      }
    }
  }
}
