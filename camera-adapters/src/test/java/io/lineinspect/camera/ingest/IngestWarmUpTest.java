package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.LineWarmUp;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The camera port's warm-up over a private loopback connection ({@link IngestWarmUp}). */
class IngestWarmUpTest {
  private static final LineConfig LINE = new LineConfig("test-line", 10_000, Verdict.FAIL);

  private final AtomicInteger realVerdicts = new AtomicInteger();
  private final ConcurrentLinkedQueue<Long> warmUpSequences = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> warmUpCameras = new ConcurrentLinkedQueue<>();
  private LoopbackServer line;
  private InspectionPipeline pipeline;

  private void start(ScriptedBackend backend) {
    VerdictListener recorder =
        new VerdictListener() {
          @Override
          public void onVerdict(VerdictView v) {
            realVerdicts.incrementAndGet();
          }

          @Override
          public void onWarmUpVerdict(VerdictView v) {
            warmUpSequences.add(v.sequence());
            warmUpCameras.add(v.cameraId());
          }
        };
    try {
      line =
          LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 1024), 10_000, backend)
              .listener(recorder)
              .start();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    pipeline = line.pipeline();
  }

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  private static List<LineWarmUp.Frame> parts() {
    return List.of(
        new LineWarmUp.Frame(8, 8, PixelFormat.MONO8, new byte[64]),
        new LineWarmUp.Frame(4, 4, PixelFormat.BGR8, new byte[48]));
  }

  @Test
  void shouldDriveEveryFrameThroughTheCameraPortAsWarmUpOnly() throws Exception {
    start(new ScriptedBackend(8));
    IngestWarmUp.Result r =
        IngestWarmUp.run(
            IngestConfig.defaults(), LINE, pipeline, NanoClock.SYSTEM, parts(), 100, 8);

    assertEquals(100, r.frames());
    assertEquals(0, r.failSafe());
    // Every frame's verdict reached the listeners' dry run, in order, and none the real chain
    // (no audit record, no reject, no archived image).
    assertEquals(100, warmUpSequences.size());
    List<Long> seen = List.copyOf(warmUpSequences);
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(i, seen.get(i), "verdicts in frame order");
    }
    assertEquals(java.util.Set.of(IngestWarmUp.CAMERA_ID), java.util.Set.copyOf(warmUpCameras));
    assertEquals(0, realVerdicts.get());
    assertEquals(0, pipeline.inFlight());
  }

  @Test
  void shouldCloseItsPrivatePortAndIgnoreTheLinesFrameRateCeiling() throws Exception {
    start(new ScriptedBackend(8));
    // A ceiling of 1 frame per second would fail bursts of 8 safe at once: the warm-up has none.
    IngestConfig slowCeiling =
        IngestConfig.defaults().withLimits(64, 16, 2000, 2000, 128L << 20, 1);
    IngestWarmUp.Result r =
        IngestWarmUp.run(slowCeiling, LINE, pipeline, NanoClock.SYSTEM, parts(), 40, 8);
    assertEquals(0, r.failSafe());
    assertEquals(40, warmUpSequences.size());
    // Nothing listens on the warm-up port any more: only the real camera port will.
    assertTrue(r.port() > 0);
    assertFalse(listening(r.port()));
  }

  @Test
  void shouldCountFailSafeWarmUpPartsAndStillGiveEachOneVerdict() throws Exception {
    // The model fails every batch, and one part is cut short (BAD_IMAGE with its ERROR first):
    // every frame still gets exactly one verdict, fail-safe, and none reaches the real chain.
    start(new ScriptedBackend(8).failing(true));
    List<LineWarmUp.Frame> parts =
        List.of(
            new LineWarmUp.Frame(8, 8, PixelFormat.MONO8, new byte[64]),
            new LineWarmUp.Frame(8, 8, PixelFormat.MONO8, new byte[10]));
    IngestWarmUp.Result r =
        IngestWarmUp.run(IngestConfig.defaults(), LINE, pipeline, NanoClock.SYSTEM, parts, 16, 4);
    assertEquals(16, r.failSafe());
    assertEquals(16, warmUpSequences.size());
    assertEquals(0, realVerdicts.get());
  }

  static boolean listening(int port) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }
}
