package io.lineinspect.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CameraSeriesTest {
  @Test
  void shouldGiveNamedCamerasAndTheFirstUnnamedOnesTheirOwnLabelAndTheRestOther() {
    CameraSeries s = new CameraSeries(Set.of("cam-a"), 2);
    assertEquals("x1", s.label("x1"));
    assertEquals("x2", s.label("x2"));
    assertEquals(CameraSeries.OTHER, s.label("x3"));
    assertEquals("cam-a", s.label("cam-a"), "a named camera seen after the limit was reached");
    assertEquals("x1", s.label("x1"), "an admitted camera keeps its label");
    assertEquals(4, s.maxLabels());
  }

  @Test
  void shouldKeepThePerCameraCountersBoundedWhenThreeThousandCameraIdsSendVerdicts() {
    PipelineMetrics m = new PipelineMetrics();
    m.limitCameras(new CameraSeries(Set.of("cam-1"), 64));
    TestVerdict v = new TestVerdict();
    for (int i = 0; i < 3_000; i++) {
      v.cameraId = "cam-" + i;
      v.verdict = i % 3 == 0 ? Verdict.FAIL : Verdict.PASS;
      m.onVerdict(v);
    }
    PipelineMetrics.Snapshot s = m.snapshot();
    assertEquals(1 + 64 + 1, s.cameras().size(), s.cameras().keySet().toString());
    assertTrue(s.cameras().containsKey("cam-1"));
    assertEquals(3_000 - 65, s.cameras().get(CameraSeries.OTHER).verdicts());
    assertEquals(
        3_000,
        s.cameras().values().stream().mapToLong(PipelineMetrics.CameraSnapshot::verdicts).sum());
    assertEquals(
        1_000, s.cameras().values().stream().mapToLong(PipelineMetrics.CameraSnapshot::fail).sum());
  }

  @Test
  void shouldCountLatencyInCumulativeBucketsAndARollingWindow() {
    LatencyHistogram h = new LatencyHistogram();
    h.record(800); // <= 1 ms
    h.record(45_000); // <= 50 ms
    h.record(45_000);
    h.record(400_000); // +Inf
    assertEquals(4, h.count());
    assertEquals(1, h.bucket(1));
    assertEquals(2, h.bucket(8));
    assertEquals(1, h.bucket(LatencyHistogram.BOUNDS_US.length));
    assertEquals(490_800, h.sumUs());
    LatencyHistogram.Window w = h.window(0);
    assertEquals(4, w.count());
    assertEquals(45_000, w.p50Us(), 45_000 * 0.01);
    assertEquals(400_000, w.maxUs(), 400_000 * 0.01);
    h.record(2_000);
    assertEquals(5, h.window(61_000).count(), "a minute later the old slot is still in the window");
    assertEquals(
        1,
        h.window(LatencyHistogram.WINDOW_SECONDS * 1000L + 1_000).count(),
        "after the window has passed only the value recorded later is left");
    assertEquals(0, h.window(3 * LatencyHistogram.WINDOW_SECONDS * 1000L).count());
    assertEquals(5, h.count(), "the buckets are cumulative since start");
  }

  @Test
  void shouldAllocateNothingPerVerdictOnceACameraWasSeenNamedAdmittedOrOther() {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    PipelineMetrics m = new PipelineMetrics();
    m.limitCameras(new CameraSeries(Set.of("cam-1"), 1));
    TestVerdict[] views = new TestVerdict[3];
    String[] ids = {"cam-1", "cam-2", "cam-3"}; // named, admitted, other
    for (int i = 0; i < views.length; i++) {
      views[i] = new TestVerdict();
      views[i].cameraId = ids[i];
      views[i].receivedNs = 1_000;
      views[i].emittedNs = 1_000 + 12_000_000L * (i + 1);
    }
    for (int i = 0; i < 20_000; i++) {
      m.onVerdict(views[i % 3]);
    }
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 30_000; i++) {
      m.onVerdict(views[i % 3]);
    }
    long perVerdict = (mx.getCurrentThreadAllocatedBytes() - before) / 30_000;
    assertTrue(perVerdict < 8, "bytes allocated per verdict: " + perVerdict);
    assertEquals(Set.of("cam-1", "cam-2", CameraSeries.OTHER), m.snapshot().cameras().keySet());
  }
}
