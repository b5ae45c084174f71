package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The assembled service with simulated cameras over loopback: what {@code inspect demo} runs. */
class DemoLineTest {

  /** The shipped demo config on a free port, with the given inference backend. */
  private static ServiceConfig demoConfig(String backend) {
    return DemoConfigs.onLoopback(backend);
  }

  @Test
  void shouldRunTheDemoLineOnTheEmbeddedModel() throws Exception {
    try (InspectionService service = new InspectionService(demoConfig("djl"), Path.of(".."))) {
      assertEquals("demo-defects", service.servedModel().name());
      int port = service.start();
      SimRun.Result r =
          new SimRun(
                  "127.0.0.1",
                  port,
                  2,
                  new SimulatedCamera.Settings(256, 256, PixelFormat.MONO8, 30, 0.3, 31),
                  3,
                  new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
              .run(() -> "");
      SimStats.Snapshot s = r.stats();
      assertTrue(r.promisesKept(), s.toString());
      assertEquals(0, s.withoutVerdict());
      // Fail-safe verdicts in a cold first second are correct behaviour, not a model error.
      assertTrue(s.modelAccuracy() >= 0.97, "model accuracy " + s.modelAccuracy());
      assertTrue(
          s.judged() >= s.sent() * 0.8, "judged " + s.judged() + " of " + s.sent() + ": " + s);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = PixelFormat.class,
      names = {"MONO8", "BGR8", "RGB8", "JPEG", "PNG"})
  void shouldGiveEveryFrameOfEveryCameraExactlyOneVerdictInOrder(PixelFormat format)
      throws Exception {
    // The line path across formats, on the fast builtin backend; the model has its own test.
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    try (InspectionService service = new InspectionService(demoConfig("builtin"), Path.of(".."))) {
      int port = service.start();
      SimRun.Result r =
          new SimRun(
                  "127.0.0.1",
                  port,
                  2,
                  new SimulatedCamera.Settings(160, 120, format, 40, 0.3, 77),
                  2,
                  new PrintStream(progress, true, StandardCharsets.UTF_8))
              .run(() -> "");
      SimStats.Snapshot s = r.stats();
      assertTrue(s.sent() >= 100, "frames sent " + s.sent());
      assertEquals(0, s.withoutVerdict(), "frames without verdict");
      assertTrue(r.promisesKept(), s.toString());
      assertEquals(s.sent(), s.pass() + s.fail());
      // Every format decodes: no frame is failed safe for its content. How many are judged in
      // time is a latency figure, guarded by DeadlineLoadTest and the CI gate, not here: with a
      // second service on the same 2 cores this light load got 122 of 161 JPEG frames DEADLINE.
      assertEquals(0L, s.byReason().getOrDefault(ReasonCode.BAD_IMAGE, 0L), "" + s.byReason());
      assertEquals(
          0L, s.byReason().getOrDefault(ReasonCode.INFERENCE_ERROR, 0L), "" + s.byReason());
      assertTrue(s.judged() > 0, "some frames judged: " + s.byReason());
      assertTrue(s.errors().isEmpty(), "protocol errors " + s.errors());
      assertEquals(s.sent(), service.pipeline().metrics().snapshot().verdicts());
      if (format == PixelFormat.BGR8 || format == PixelFormat.RGB8) {
        assertRedDecodesAsRed(service, format);
      }
    }
    assertTrue(
        progress.toString(StandardCharsets.UTF_8).contains("[  1s] sent"), progress.toString());
  }

  /**
   * The parts the simulator renders have nearly equal channels, so a swapped channel order would
   * still be judged: a pure red frame in the format's byte order must reach the served model as
   * red's grey (77/256 of full scale), not blue's (29/256).
   */
  private static void assertRedDecodesAsRed(InspectionService service, PixelFormat format) {
    int w = 256;
    int h = 256;
    byte[] pixels = new byte[w * h * 3];
    for (int i = format == PixelFormat.RGB8 ? 0 : 2; i < pixels.length; i += 3) {
      pixels[i] = (byte) 255;
    }
    FrameEvent e = FrameEvent.standalone();
    new TestFrame().image(pixels, w, h, format).set(1, 0, 0).writeTo(e);
    try (Preprocessor p = service.pipeline().models().served().newPreprocessor()) {
      assertTrue(p.preprocess(e), format + " red frame refused: " + e.detail());
    }
    assertEquals(
        ((255 * 77) >> 8) / 255f, e.input()[0], 0.01f, format + ": red decoded as another colour");
  }

  @Test
  void shouldPrintTheSummaryAsOneJsonObject() throws Exception {
    try (InspectionService service = new InspectionService(demoConfig("builtin"), Path.of(".."))) {
      int port = service.start();
      SimRun.Result r =
          new SimRun(
                  "127.0.0.1",
                  port,
                  1,
                  new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, 20, 0.3, 1),
                  1,
                  new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
              .run(() -> "");
      String json = SimRun.Result.toJson(r.toMap());
      assertTrue(json.startsWith("{\"cameras\":1,"), json);
      assertTrue(json.contains("\"framesWithoutVerdict\":0,"), json);
      assertTrue(!json.contains("\n"), "one line");
    }
  }
}
