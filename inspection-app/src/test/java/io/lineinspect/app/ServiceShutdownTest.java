package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.sim.SimStats;
import io.lineinspect.camera.sim.SimulatedCamera;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.InferenceConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Stopping the service tells every camera so (protocol ERROR 11) after its last verdict. */
class ServiceShutdownTest {
  @Test
  void everyCameraHearsServiceShuttingDown() throws Exception {
    ServiceConfig c = ConfigLoader.load(Path.of("..", "configs", "demo-line.yaml"));
    ServiceConfig cfg =
        new ServiceConfig(
            c.line(),
            c.ingest().listeningOn("127.0.0.1", 0),
            c.pipeline(),
            new InferenceConfig("builtin", c.inference().builtin(), c.inference().djl()));
    SimStats stats = new SimStats();
    InspectionService service = new InspectionService(cfg, Path.of(".."));
    int port = service.start();
    SimulatedCamera a =
        new SimulatedCamera(
            "127.0.0.1",
            port,
            "a",
            new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, 20, 0.3, 1),
            stats);
    SimulatedCamera b =
        new SimulatedCamera(
            "127.0.0.1",
            port,
            "b",
            new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, 20, 0.3, 2),
            stats);
    Thread.sleep(500);
    a.stopSending(); // one idle camera, one still sending
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
  }
}
