package io.lineinspect.core.batching;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.LockSupport;

/**
 * Spins briefly, optionally polls while yielding the CPU for a bounded time, then parks in short
 * naps, and gives up with {@link TimeoutException} after a bounded wait so the batcher can re-check
 * its batch delay and deadlines. Producers never block or take a lock ({@link
 * #signalAllWhenBlocking()} is a no-op), which keeps the Netty event loops free.
 *
 * <p>The trade-off is idle CPU against wake-up latency. A parked consumer notices new work only
 * when its nap ends: {@code parkNanos} of 20 µs takes 50–70 µs on Linux (timer slack), so each
 * pipeline hop costs about that when the line is quiet. The yield phase ({@code yieldNs}) keeps a
 * consumer that just went idle polling for that long with {@link Thread#yield()} — it notices a
 * frame within about a microsecond and gives the core to any other runnable thread meanwhile — at a
 * cost of at most {@code yieldNs} of polling per idle period and consumer. A consumer that timed
 * out waiting for a sequence neither spins nor polls again for the same sequence: a quiet pipeline
 * only parks. (Spinning again after every timeout cost an idle service 0.76 cores on 2 cores, CPU
 * that model work beside the line and the rest of the machine need.)
 *
 * <p>The naps back off: the first nap waiting for a sequence is {@code parkNs}, each further one
 * twice the last, up to {@code maxParkNs}, across timeouts for the same sequence; a new sequence
 * starts again at {@code parkNs}. Between two frames a hand-off thread so wakes up a handful of
 * times instead of every 50–70 µs (each wake-up costs CPU that the model beside it needs), and a
 * frame that arrives during a long nap waits at most {@code maxParkNs} plus the timer slack for it.
 *
 * <p>Shared by every consumer of the ring; the only state is one small per-thread record of the
 * sequence it last polled for, the one it last timed out on, and the current nap.
 */
public final class ParkingTimeoutWaitStrategy implements WaitStrategy {
  /**
   * Per thread: [0] the sequence last polled for with yield, [1] the one last timed out on, [2] the
   * one the current nap length [3] belongs to.
   */
  private static final ThreadLocal<long[]> LAST_POLLED =
      ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, 0});

  private final int spinTries;
  private final long yieldNs;
  private final long parkNs;
  private final long maxParkNs;
  private final long timeoutNs;

  /**
   * @param spinTries busy-spin iterations before anything else
   * @param yieldNs then poll with {@link Thread#yield()} for this long (0 = not at all), once per
   *     idle period
   * @param parkNs length of the first nap
   * @param maxParkNs longest nap of the back-off ({@code <= parkNs}: every nap is {@code parkNs})
   * @param timeoutNs total wait after which {@link TimeoutException} is thrown
   */
  public ParkingTimeoutWaitStrategy(
      int spinTries, long yieldNs, long parkNs, long maxParkNs, long timeoutNs) {
    this.spinTries = spinTries;
    this.yieldNs = yieldNs;
    this.parkNs = parkNs;
    this.maxParkNs = Math.max(parkNs, maxParkNs);
    this.timeoutNs = timeoutNs;
  }

  @Override
  public long waitFor(
      long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
      throws AlertException, TimeoutException {
    long available;
    long[] lastPolled = LAST_POLLED.get();
    int spins = lastPolled[1] == sequence ? 0 : spinTries;
    long startNs = 0;
    boolean poll = false;
    while ((available = dependentSequence.get()) < sequence) {
      barrier.checkAlert();
      if (spins > 0) {
        spins--;
        Thread.onSpinWait();
        continue;
      }
      long now = System.nanoTime();
      if (startNs == 0) {
        startNs = now;
        if (yieldNs > 0) {
          poll = lastPolled[0] != sequence;
          lastPolled[0] = sequence;
        }
      } else if (now - startNs >= timeoutNs) {
        lastPolled[1] = sequence;
        throw TimeoutException.INSTANCE;
      }
      if (poll && now - startNs < yieldNs) {
        Thread.yield();
      } else {
        long nap = parkNs;
        if (lastPolled[2] == sequence) {
          nap = Math.min(maxParkNs, 2 * lastPolled[3]);
        } else {
          lastPolled[2] = sequence;
        }
        lastPolled[3] = nap;
        LockSupport.parkNanos(nap);
      }
    }
    return available;
  }

  @Override
  public void signalAllWhenBlocking() {}
}
