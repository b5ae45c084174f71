package io.lineinspect.app;

import io.lineinspect.core.config.WarmupConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.LineWarmUp;
import io.lineinspect.sim.FramePool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The synthetic parts of the warm start: rendered by the camera simulator's {@code PartRenderer}
 * (good and defective parts, as the demo cameras send them), so they pass the encoded-payload and
 * fitness checks and the model judges them; JPEG and PNG encoded as a camera would. Interleaved by
 * format, so every round of the warm-up decodes every configured format.
 *
 * <p>Built once, on the thread that starts the service.
 */
final class WarmUpFrames {
  /** Parts per format (cycled during the warm-up). */
  static final int PER_FORMAT = 6;

  private WarmUpFrames() {}

  static List<LineWarmUp.Frame> render(WarmupConfig config) {
    List<PixelFormat> formats = config.pixelFormats();
    List<FramePool> pools = new ArrayList<>();
    try {
      for (int i = 0; i < formats.size(); i++) {
        pools.add(
            FramePool.parts(
                config.width(), config.height(), formats.get(i), 0.3, 7_001 + i, PER_FORMAT));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("rendering the warm-up parts failed: " + e.getMessage(), e);
    }
    List<LineWarmUp.Frame> frames = new ArrayList<>();
    for (int k = 0; k < PER_FORMAT; k++) {
      for (FramePool p : pools) {
        frames.add(new LineWarmUp.Frame(p.width(), p.height(), p.format(), p.payload(k)));
      }
    }
    return frames;
  }
}
