package io.lineinspect.core.emit;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.EventTranslatorOneArg;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A bounded hand-off of preallocated slots from the line path (any thread) to one writer thread, on
 * a Disruptor ring like the rest of the line path: {@link #offer} copies into the next free slot
 * and returns false at once when every slot is taken (the caller counts the drop; it never waits);
 * the writer {@link #poll polls} one slot at a time, and the slot is free again as soon as the
 * writer's consumer returns. Used by the image archive and the shadow model.
 *
 * <p>Threads: {@link #offer} from any thread; {@link #poll} from the one writer thread only; {@link
 * #isEmpty} from any thread (two volatile reads: true once the writer has returned from every slot
 * offered before the call).
 *
 * @param <T> the slot (preallocated; owned by the ring, filled in place, cleared by the consumer)
 */
public final class HandOffRing<T> {
  private final RingBuffer<T> ring;
  private final EventPoller<T> poller;
  private final EventPoller.Handler<T> one;
  private Consumer<? super T> consumer;
  private Throwable thrown;

  /**
   * @param slots at least this many slots (rounded up to a power of two, the ring's size)
   */
  public HandOffRing(Supplier<T> factory, int slots) {
    // The writer polls, so the wait strategy only decides what publish signals: Yielding signals
    // nothing (no lock a producer could wait on).
    ring = RingBuffer.createMultiProducer(factory::get, size(slots), new YieldingWaitStrategy());
    poller = ring.newPoller();
    ring.addGatingSequences(poller.getSequence());
    one =
        (slot, sequence, endOfBatch) -> {
          try {
            consumer.accept(slot);
          } catch (Throwable t) { // the slot is released all the same, then t is rethrown
            thrown = t;
          }
          return false; // one slot per poll: each is free again as soon as it is handled
        };
  }

  /** The ring size for at least {@code slots} slots. */
  public static int size(int slots) {
    if (slots < 1 || slots > 1 << 30) {
      throw new IllegalArgumentException("slots must be 1.." + (1 << 30) + ", got " + slots);
    }
    return Integer.highestOneBit(slots) == slots ? slots : Integer.highestOneBit(slots) << 1;
  }

  /**
   * Fills the next free slot with {@code fill} and hands it over; false when every slot is taken.
   * {@code fill} should not throw: if it does, the slot is handed over as {@code fill} left it.
   */
  public <A> boolean offer(EventTranslatorOneArg<T, A> fill, A arg) {
    return ring.tryPublishEvent(fill, arg);
  }

  /**
   * Hands the oldest waiting slot to {@code consumer} and frees it; false when none was waiting.
   * What {@code consumer} throws is rethrown after its slot was freed.
   */
  public boolean poll(Consumer<? super T> consumer) {
    this.consumer = consumer;
    EventPoller.PollState state;
    try {
      state = poller.poll(one);
    } catch (Exception e) {
      throw new IllegalStateException(e); // the handler catches everything
    } finally {
      this.consumer = null;
    }
    Throwable t = thrown;
    if (t != null) {
      thrown = null;
      if (t instanceof Error err) {
        throw err;
      }
      throw t instanceof RuntimeException re ? re : new IllegalStateException(t);
    }
    return state == EventPoller.PollState.PROCESSING;
  }

  /** Whether no slot is waiting. */
  public boolean isEmpty() {
    return poller.getSequence().get() >= ring.getCursor();
  }

  /** The number of slots (the ring's size). */
  public int slots() {
    return ring.getBufferSize();
  }
}
