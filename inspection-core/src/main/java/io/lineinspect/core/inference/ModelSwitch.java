package io.lineinspect.core.inference;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model the line serves, and the one place it changes: between two batches, on the inference
 * thread. A model-lifecycle thread loads and warms a candidate beside the running one, then {@link
 * #switchTo offers} its warmed session; the inference thread {@link #take takes} the offer before
 * it forms its next batch, so every batch (and every verdict in it) is judged and tagged by exactly
 * one model, and no frame waits for a model that is still loading.
 *
 * <p>Threading: {@link #switchTo} from one lifecycle thread at a time; {@link #take} and {@link
 * #switched} from the inference thread only; {@link #served()} and {@link #model()} from anywhere.
 */
public final class ModelSwitch {

  /**
   * A warmed candidate on its way to the inference thread.
   *
   * @param backend the candidate's backend (its preprocessing must equal the served one's)
   * @param session a session of {@code backend}, already warmed up; owned by the inference thread
   *     from the switch on
   * @param batchNs the candidate's measured time per batch size ({@code batchNs[n]} for a batch of
   *     n, 0 where not measured), seeded into the batcher's timing model at the switch; may be null
   */
  public record Offer(InferenceBackend backend, InferenceSession session, long[] batchNs) {
    public Offer {
      Objects.requireNonNull(backend, "backend");
      Objects.requireNonNull(session, "session");
    }
  }

  /**
   * What the inference thread did with an offer.
   *
   * @param from the model served before
   * @param to the model served from now on
   * @param previousSession the inference thread's session of the previous model, no longer used by
   *     it: the lifecycle closes it, or keeps it for a rollback
   * @param atNanos monotonic time of the switch
   * @param batchesBefore batches judged by the previous model on this processor
   */
  public record Switched(
      ModelInfo from,
      ModelInfo to,
      InferenceSession previousSession,
      long atNanos,
      long batchesBefore) {}

  private record Pending(Offer offer, CompletableFuture<Switched> done) {}

  private final AtomicReference<Pending> pending = new AtomicReference<>();
  private volatile InferenceBackend served;

  public ModelSwitch(InferenceBackend initial) {
    this.served = Objects.requireNonNull(initial, "initial");
  }

  /** The backend whose model judges the next batch (once a pending switch is done: the new one). */
  public InferenceBackend served() {
    return served;
  }

  /** The model served now, or null when none is loaded. */
  public ModelInfo model() {
    return served.model();
  }

  /**
   * Hands a warmed session to the inference thread and waits until it switched between two batches.
   * When the inference thread does not take it within {@code timeoutMs} (it is stopped or stuck)
   * the offer is withdrawn, the served model stays, and {@link TimeoutException} is thrown.
   *
   * @throws IllegalStateException when another switch is pending
   */
  public Switched switchTo(Offer offer, long timeoutMs)
      throws InterruptedException, TimeoutException {
    Pending p = new Pending(offer, new CompletableFuture<>());
    if (!pending.compareAndSet(null, p)) {
      throw new IllegalStateException("another model switch is pending");
    }
    try {
      return p.done.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      if (pending.compareAndSet(p, null)) {
        throw e; // withdrawn: the caller still owns the offered session
      }
      // Taken: the inference thread uses the session now; the caller must learn that it switched.
      Thread.currentThread().interrupt();
      return p.done.join();
    } catch (TimeoutException e) {
      if (pending.compareAndSet(p, null)) {
        throw new TimeoutException(
            "the inference thread did not take the new model within " + timeoutMs + " ms");
      }
      // Taken in the meantime: the switch happens (or happened) after all.
      return join(p);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private static Switched join(Pending p) throws InterruptedException {
    try {
      return p.done.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Inference thread, between batches: the offer to switch to, or null (one volatile read when
   * there is none). The caller must then use the offer's session and report back with {@link
   * #switched}.
   */
  public Offer take() {
    Pending p = pending.get();
    if (p == null || !pending.compareAndSet(p, null)) {
      return null;
    }
    inFlight = p;
    return p.offer;
  }

  private Pending inFlight; // inference thread only: the offer taken and not yet reported

  /**
   * Inference thread: the session of the offer taken by {@link #take} is now the one that judges;
   * {@code previousSession} is released to the lifecycle.
   */
  public void switched(InferenceSession previousSession, long atNanos, long batchesBefore) {
    Pending p = inFlight;
    inFlight = null;
    ModelInfo from = served.model();
    served = p.offer.backend();
    p.done.complete(new Switched(from, served.model(), previousSession, atNanos, batchesBefore));
  }
}
