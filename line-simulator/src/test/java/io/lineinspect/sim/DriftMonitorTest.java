package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.DriftConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.DriftMonitor;
import io.lineinspect.core.metrics.DriftMonitor.Feature;
import io.lineinspect.core.testing.TestVerdict;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Drift on the simulator's parts: the training distribution stays quiet, darker light alarms. */
class DriftMonitorTest {
  private static void feed(DriftMonitor m, PartRenderer r, int parts, long firstSeq) {
    TestVerdict v = new TestVerdict().withImage(256, 256, PixelFormat.MONO8);
    for (int i = 0; i < parts; i++) {
      PartLabel label = r.render(v.image, PixelFormat.MONO8);
      v.part("cam-1", firstSeq + i, label.defective() ? Verdict.FAIL : Verdict.PASS, 0, 0);
      v.score = label.defective() ? 0.95f : 0.03f;
      m.onVerdict(v);
    }
  }

  private static DriftConfig config() {
    return new DriftConfig(true, 1, 300, 300, 0.25);
  }

  @Test
  void theTrainingDistributionRaisesNoAlarm() {
    DriftMonitor m = new DriftMonitor(config());
    feed(m, new PartRenderer(256, 256, 1, 0.3), 300, 1); // baseline
    feed(m, new PartRenderer(256, 256, 2, 0.3), 300, 301); // new parts, same line
    Map<Feature, Double> psi = m.psi();
    System.out.println("drift, same distribution: " + psi);
    for (Feature f : Feature.values()) {
      assertTrue(psi.get(f) < 0.1, f + " PSI " + psi);
    }
    assertFalse(m.alarm());
  }

  @Test
  void darkerLightingRaisesTheAlarm() {
    DriftMonitor m = new DriftMonitor(config());
    feed(m, new PartRenderer(256, 256, 1, 0.3), 300, 1);
    feed(m, new PartRenderer(256, 256, 2, 0.3).lighting(0.6), 300, 301);
    Map<Feature, Double> psi = m.psi();
    System.out.println("drift, 40 % darker: " + psi);
    assertTrue(psi.get(Feature.BRIGHTNESS) > 1.0, "brightness PSI " + psi);
    assertTrue(psi.get(Feature.SCORE) < 0.1, "scores did not move in this test: " + psi);
    assertTrue(m.alarm());
    m.rebaseline();
    assertFalse(m.alarm(), "a new baseline clears the alarm");
    assertTrue(Double.isNaN(m.psi().get(Feature.BRIGHTNESS)));
  }
}
