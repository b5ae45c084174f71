package io.lineinspect.core.pipeline;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.time.NanoClock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Runs MONO8 frames through a real {@link InspectionPipeline} on {@code backend} (one preprocess
 * worker, generous budget, at most 32 frames in flight) and returns every verdict in order: for
 * tests that need the production path from frame to reason code.
 */
public final class FramesThroughPipeline {
  private FramesThroughPipeline() {}

  /** Frame {@code i} is {@code frames.apply(i)}, a {@code width × height} MONO8 image. */
  public static List<RecordingSource.Written> run(
      InferenceBackend backend, int count, int width, int height, IntFunction<byte[]> frames)
      throws InterruptedException {
    InspectionPipeline pipeline =
        new InspectionPipeline(
            new PipelineConfig(1024, 1, 16, 0.0, 1 << 18),
            TimeUnit.SECONDS.toNanos(60),
            Verdict.FAIL,
            backend,
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    RecordingSource source = new RecordingSource("cam");
    TestFrame frame = new TestFrame();
    try {
      for (int i = 0; i < count; i++) {
        byte[] pixels = frames.apply(i);
        pipeline.publish(
            source,
            frame.set(i, System.nanoTime(), 0).image(pixels, width, height, PixelFormat.MONO8));
        while (source.count() < i - 32) {
          Thread.sleep(0, 200_000);
        }
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (source.count() < count && System.nanoTime() - until < 0) {
        Thread.sleep(2);
      }
    } finally {
      pipeline.close();
    }
    return source.written();
  }
}
