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
 * out waiting for a sequence does not poll again for the same sequence: a quiet pipeline parks.
 *
 * <p>Shared by every consumer of the ring; the only state is one small per-thread record of the
 * sequence it last polled for.
 */
public final class ParkingTimeoutWaitStrategy implements WaitStrategy {
  private static final ThreadLocal<long[]> LAST_POLLED =
      ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE});

  private final int spinTries;
  private final long yieldNs;
  private final long parkNs;
  private final long timeoutNs;

  /**
   * @param spinTries busy-spin iterations before the first nap
   * @param parkNs length of one nap
   * @param timeoutNs total wait after which {@link TimeoutException} is thrown
   */
  public ParkingTimeoutWaitStrategy(int spinTries, long parkNs, long timeoutNs) {
    this(spinTries, 0, parkNs, timeoutNs);
  }

  /**
   * @param spinTries busy-spin iterations before anything else
   * @param yieldNs then poll with {@link Thread#yield()} for this long (0 = not at all), once per
   *     idle period
   * @param parkNs length of one nap
   * @param timeoutNs total wait after which {@link TimeoutException} is thrown
   */
  public ParkingTimeoutWaitStrategy(int spinTries, long yieldNs, long parkNs, long timeoutNs) {
    this.spinTries = spinTries;
    this.yieldNs = yieldNs;
    this.parkNs = parkNs;
    this.timeoutNs = timeoutNs;
  }

  @Override
  public long waitFor(
      long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
      throws AlertException, TimeoutException {
    long available;
    int spins = spinTries;
    long startNs = 0;
    long[] lastPolled = null;
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
          lastPolled = LAST_POLLED.get();
          poll = lastPolled[0] != sequence;
          lastPolled[0] = sequence;
        }
      } else if (now - startNs >= timeoutNs) {
        throw TimeoutException.INSTANCE;
      }
      if (poll && now - startNs < yieldNs) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(parkNs);
      }
    }
    return available;
  }

  @Override
  public void signalAllWhenBlocking() {}
}
