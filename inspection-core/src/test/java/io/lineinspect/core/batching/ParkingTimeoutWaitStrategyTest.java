package io.lineinspect.core.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The idle back-off: naps grow, a frame after a long idle period is still noticed quickly. */
class ParkingTimeoutWaitStrategyTest {

  private static final SequenceBarrier NO_ALERT =
      new SequenceBarrier() {
        @Override
        public long waitFor(long sequence) {
          throw new UnsupportedOperationException();
        }

        @Override
        public long getCursor() {
          return 0;
        }

        @Override
        public boolean isAlerted() {
          return false;
        }

        @Override
        public void alert() {}

        @Override
        public void clearAlert() {}

        @Override
        public void checkAlert() throws AlertException {}
      };

  @Test
  void shouldTimeOutAfterItsTimeoutAndReturnAtOnceWhenAvailable() throws Exception {
    ParkingTimeoutWaitStrategy w =
        new ParkingTimeoutWaitStrategy(100, 0, 20_000, 200_000, 2_000_000);
    Sequence cursor = new Sequence(4);
    assertEquals(4, w.waitFor(3, cursor, cursor, NO_ALERT));
    long t0 = System.nanoTime();
    assertThrows(TimeoutException.class, () -> w.waitFor(5, cursor, cursor, NO_ALERT));
    assertTrue(System.nanoTime() - t0 >= 2_000_000);
  }

  @Test
  void shouldNoticeWorkAfterALongIdlePeriodWithinTheLongestNapAndSlack() throws Exception {
    // 300 ms idle on the same sequence (timing out every 200 us, the batcher's pattern): the naps
    // have backed off to their 1 ms maximum; a publish is then noticed within that plus slack.
    ParkingTimeoutWaitStrategy w =
        new ParkingTimeoutWaitStrategy(100, 0, 20_000, 1_000_000, 200_000);
    Sequence cursor = new Sequence(0);
    CompletableFuture<long[]> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              long timeouts = 0;
              while (true) {
                try {
                  long got = w.waitFor(1, cursor, cursor, NO_ALERT);
                  return new long[] {got, System.nanoTime(), timeouts};
                } catch (TimeoutException e) {
                  timeouts++;
                } catch (AlertException e) {
                  throw new IllegalStateException(e);
                }
              }
            });
    TimeUnit.MILLISECONDS.sleep(300);
    long published = System.nanoTime();
    cursor.set(1);
    long[] r = waiter.get(5, TimeUnit.SECONDS);
    assertEquals(1, r[0]);
    long lagUs = (r[1] - published) / 1_000;
    assertTrue(lagUs < 30_000, "noticed after " + lagUs + " us"); // 1 ms nap + scheduler slack
    // Backed off: with fixed 20 us naps (50-70 us each on Linux) 300 ms would be >= 4000 naps and
    // about 1500 timeouts; with naps of 1 ms each 200 us timeout is one nap.
    assertTrue(r[2] < 1_000, r[2] + " timeouts in 300 ms");
  }
}
