package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stopping the service tells every camera so (protocol ERROR 11) after its last verdict. */
class ServiceShutdownTest {
  @Test
  void everyCameraHearsServiceShuttingDown() throws Exception {
    ServiceConfig cfg = DemoConfigs.onLoopback("builtin");
    SimStats stats = new SimStats();
    InspectionService service = new InspectionService(cfg, Path.of(".."));
    int port = service.start();
    SimulatedCamera a = camera(port, "a", 20, 1, stats);
    SimulatedCamera b = camera(port, "b", 500, 2, stats); // busy: frames in flight at the stop
    awaitAnswered(a, 3);
    awaitAnswered(b, 3);
    a.stopSending(); // one idle camera, one still sending
    assertTrue(a.awaitLastVerdict(5_000), "the idle camera has every verdict before the stop");
    service.close();
    long until = System.nanoTime() + 3_000_000_000L;
    while (stats.snapshot().errors().getOrDefault(ErrorCode.SERVICE_SHUTTING_DOWN, 0L) < 2
        && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    a.close();
    b.close();
    assertEquals(
        2L,
        stats.snapshot().errors().getOrDefault(ErrorCode.SERVICE_SHUTTING_DOWN, 0L),
        "" + stats.snapshot().errors());
    Map<String, PipelineMetrics.CameraSnapshot> emitted =
        service.pipeline().metrics().snapshot().cameras();
    for (SimulatedCamera cam : List.of(a, b)) {
      String id = cam.cameraId();
      // After its last verdict: when the ERROR came, every verdict the service emitted for this
      // camera had arrived, and none came after it.
      assertEquals(
          emitted.get(id).verdicts(),
          cam.answeredAtShutdown(),
          id + ": verdicts the service emitted vs. those the camera had when the ERROR came");
      assertEquals(cam.answeredAtShutdown(), cam.answered(), id + ": a verdict after the ERROR");
    }
    assertEquals(a.sent(), a.answeredAtShutdown(), "the idle camera: every frame answered");
  }

  private static SimulatedCamera camera(int port, String id, int fps, long seed, SimStats stats)
      throws Exception {
    return new SimulatedCamera(
        "127.0.0.1",
        port,
        id,
        new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, fps, 0.3, seed),
        stats);
  }

  /** Connected and flowing: at least {@code n} verdicts back (bounded wait, no fixed sleep). */
  private static void awaitAnswered(SimulatedCamera cam, long n) throws InterruptedException {
    long until = System.nanoTime() + 10_000_000_000L;
    while (cam.answered() < n) {
      assertNull(cam.fatalError(), cam.cameraId());
      assertTrue(System.nanoTime() < until, cam.cameraId() + ": " + cam.answered() + " verdicts");
      Thread.sleep(5);
    }
  }
}
