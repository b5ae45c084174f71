package io.lineinspect.core.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatchTimingModelTest {
  private static final long MS = 1_000_000L;

  @Test
  void shouldAdmitEverythingUntilSomethingIsMeasured() {
    BatchTimingModel m = new BatchTimingModel(16, 48 * MS, 1024);
    assertEquals(0, m.predictNs(4));
    assertEquals(1024, m.admissionLimit());
  }

  @Test
  void shouldAdmitWhatCanBeJudgedWithinTheSlack() {
    BatchTimingModel m = new BatchTimingModel(16, 48 * MS, 1024);
    for (int b = 1; b <= 16; b++) {
      m.record(b, 10 * MS + b * MS / 2);
    }
    // 12 frames take 16 ms: three whole batches (36 frames) fit into 48 ms; with 16 only two do.
    assertEquals(36, m.admissionLimit());
  }

  @Test
  void shouldAdmitAtLeastOneBatchWhenTheModelIsSlowerThanTheBudget() {
    BatchTimingModel m = new BatchTimingModel(8, 10 * MS, 1024);
    m.record(8, 4 * MS);
    for (int i = 0; i < 50; i++) {
      m.record(8, 30 * MS);
    }
    assertEquals(8, m.admissionLimit());
  }

  @Test
  void shouldRecoverQuicklyFromOneHungBatch() {
    BatchTimingModel m = new BatchTimingModel(8, 48 * MS, 1024);
    m.record(1, 10 * MS);
    m.record(1, 2_000 * MS); // the backend hung for two seconds once
    assertTrue(
        m.predictNs(1) <= 12 * MS, "one outlier at most doubles the sample: " + m.predictNs(1));
    BatchTimingModel fresh = new BatchTimingModel(8, 48 * MS, 1024);
    fresh.record(1, 2_000 * MS); // ...even as the very first measurement
    assertEquals(24 * MS, fresh.predictNs(1));
    for (int i = 0; i < 30; i++) {
      fresh.record(1, 10 * MS);
    }
    assertTrue(fresh.predictNs(1) < 11 * MS, "back to normal: " + fresh.predictNs(1));
  }

  @Test
  void shouldTakeWarmUpMeasurementsAsTheyAreEvenAboveTheOutlierCap() {
    BatchTimingModel m = new BatchTimingModel(8, 48 * MS, 1024);
    m.seed(8, 40 * MS); // a real, slow batch measured at warm-up: not an outlier
    assertEquals(40 * MS, m.predictNs(8));
  }

  @Test
  void shouldScaleUnmeasuredSizesFromTheNearestSmallerOne() {
    BatchTimingModel m = new BatchTimingModel(8, 48 * MS, 1024);
    m.record(2, 4 * MS);
    assertEquals(8 * MS, m.predictNs(4));
    assertEquals(4 * MS, m.predictNs(1));
  }
}
