package io.lineinspect.camera.drop;

import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.pipeline.FrameSource;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One dropping camera as the pipeline sees it: the same {@link FrameSource} a protocol v1
 * connection is, so its images go through the same publish, budget, decide, audit, actuator and
 * archive path, and its verdicts come back in the order its images were published. Where a
 * connection writes a VERDICT message, this hands the verdict to the result writer.
 *
 * <p>Threading: {@link #expect} runs on the drop's ingest thread right before each publish; {@link
 * #writeVerdict} runs under this object's monitor on whichever pipeline thread decided the verdict
 * (see {@link FrameSource}); both hold the monitor, so the queue of images in flight is safe.
 */
final class DropSource extends FrameSource {
  private final ArrayDeque<Path> inFlight = new ArrayDeque<>();
  private final Consumer<DropResult> results;

  DropSource(String cameraId, Consumer<DropResult> results) {
    super(cameraId);
    this.results = results;
  }

  /** Ingest thread: {@code image} is published next; its verdict is the next one to come. */
  synchronized void expect(Path image) {
    inFlight.addLast(image);
  }

  @Override
  protected void writeVerdict(VerdictView verdict) {
    Path image = inFlight.pollFirst();
    if (image == null) {
      throw new IllegalStateException(
          "verdict for " + cameraId() + "#" + verdict.sequence() + " without an image in flight");
    }
    results.accept(DropResult.of(image, verdict));
  }

  @Override
  protected void flush() {}
}
