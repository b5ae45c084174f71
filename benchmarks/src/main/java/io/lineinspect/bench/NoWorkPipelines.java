package io.lineinspect.bench;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.builtin.NoWorkBackend;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.NanoClock;
import java.util.concurrent.TimeUnit;

/** The pipeline the transport benchmarks run against: the no-work backend, a 10 s budget. */
public final class NoWorkPipelines {
  private NoWorkPipelines() {}

  /** A started pipeline of {@code ringSize} entries preallocated for {@code payloadBytes}. */
  public static InspectionPipeline started(int ringSize, int payloadBytes) {
    InspectionPipeline p =
        new InspectionPipeline(
            new PipelineConfig(ringSize, 1, 8, 0.0, payloadBytes),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            new NoWorkBackend(64),
            null,
            NanoClock.SYSTEM,
            Thread::new);
    p.start();
    return p;
  }
}
