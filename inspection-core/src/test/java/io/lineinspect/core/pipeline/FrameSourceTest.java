package io.lineinspect.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameSourceTest {
  /** Delivers arrivals 0..n-1 in the given order and returns the sequences written, in order. */
  private static List<Long> deliverInOrder(List<Integer> order) {
    RecordingSource src = new RecordingSource("cam");
    for (int arrival : order) {
      TestVerdict v = new TestVerdict().part("cam", arrival + 1, Verdict.PASS, 0, 0);
      src.deliver(arrival, v, x -> {}, 0);
    }
    List<Long> seqs = new ArrayList<>();
    src.written().forEach(w -> seqs.add(w.sequence()));
    return seqs;
  }

  @Test
  void verdictsParkedOutOfOrderAreStillWrittenInArrivalOrder() {
    // The watchdog can decide arrival 2 before the inference thread emits arrival 1, both while
    // arrival 0 is still in flight: the parked verdicts are then out of order.
    assertEquals(List.of(1L, 2L, 3L), deliverInOrder(List.of(2, 1, 0)));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), deliverInOrder(List.of(3, 1, 4, 2, 0)));
  }

  @Test
  void anyDeliveryOrderWritesEveryVerdictOnceInOrder() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      int n = 1 + random.nextInt(40);
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      Collections.shuffle(order, random);
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= n; i++) {
        expected.add(i);
      }
      assertEquals(expected, deliverInOrder(order), "delivery order " + order);
    }
  }
}
