package io.lineinspect.core.batching;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.LockSupport;

/**
 * Spins briefly, then parks in short naps, and gives up with {@link TimeoutException} after a
 * bounded wait so the batcher can re-check its batch delay and deadlines. Producers never block or
 * take a lock ({@link #signalAllWhenBlocking()} is a no-op), which keeps the Netty event loops
 * free; the cost is a wake-up latency of about one nap (tens of microseconds) when idle.
 *
 * <p>Stateless and shared by every consumer of the ring.
 */
public final class ParkingTimeoutWaitStrategy implements WaitStrategy {
  private final int spinTries;
  private final long parkNs;
  private final long timeoutNs;

  /**
   * @param spinTries busy-spin iterations before the first nap
   * @param parkNs length of one nap
   * @param timeoutNs total wait after which {@link TimeoutException} is thrown
   */
  public ParkingTimeoutWaitStrategy(int spinTries, long parkNs, long timeoutNs) {
    this.spinTries = spinTries;
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
      } else if (now - startNs >= timeoutNs) {
        throw TimeoutException.INSTANCE;
      }
      LockSupport.parkNanos(parkNs);
    }
    return available;
  }

  @Override
  public void signalAllWhenBlocking() {}
}
