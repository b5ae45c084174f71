package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.RecordingSource;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.core.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The builtin heuristic, through the real pipeline, on freshly rendered parts: it must be far
 * better than chance on scratches, spots and cracks (it cannot see missing features).
 */
class BuiltinBackendAccuracyTest {

  @Test
  void shouldJudgeRenderedPartsFarBetterThanChance() throws Exception {
    int n = 300;
    PartRenderer renderer = new PartRenderer(256, 256, 4242, 0.5);
    byte[] pixels = new byte[256 * 256];
    List<PartLabel> labels = new ArrayList<>();
    InspectionPipeline pipeline =
        new InspectionPipeline(
            new PipelineConfig(512, 1, 8, 0.0, 1 << 16),
            TimeUnit.SECONDS.toNanos(30),
            Verdict.FAIL,
            new BuiltinBackend(BuiltinBackendConfig.defaults()),
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    RecordingSource source = new RecordingSource("cam");
    TestFrame frame = new TestFrame();
    try {
      for (int i = 0; i < n; i++) {
        labels.add(renderer.render(pixels, PixelFormat.MONO8));
        pipeline.publish(
            source, frame.set(i, System.nanoTime(), 0).image(pixels, 256, 256, PixelFormat.MONO8));
        while (source.count() < i + 1) {
          Thread.sleep(0, 100_000);
        }
      }
    } finally {
      pipeline.close();
    }
    int correct = 0;
    int visibleDefects = 0;
    int visibleCaught = 0;
    List<RecordingSource.Written> verdicts = source.written();
    for (int i = 0; i < n; i++) {
      RecordingSource.Written v = verdicts.get(i);
      assertTrue(v.reason() == ReasonCode.NONE, "judged by the model: " + v);
      boolean rejected = v.verdict() == Verdict.FAIL;
      PartLabel label = labels.get(i);
      if (rejected == label.defective()) {
        correct++;
      }
      if (label.defective() && label.defect() != DefectKind.MISSING_FEATURE) {
        visibleDefects++;
        if (rejected) {
          visibleCaught++;
        }
      }
    }
    double accuracy = correct / (double) n;
    double recall = visibleCaught / (double) visibleDefects;
    System.out.printf(
        "builtin heuristic: accuracy %.3f, recall on surface defects %.3f%n", accuracy, recall);
    assertTrue(accuracy >= 0.75, "accuracy " + accuracy);
    assertTrue(recall >= 0.85, "recall on scratches/spots/cracks " + recall);
  }
}
