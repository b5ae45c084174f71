package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.frame.TestImages;
import io.lineinspect.core.testing.CountingBuiltinBackend;
import io.lineinspect.sim.PartRenderer;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A camera that sends JPEG/PNG headers declaring 20000x20000 or 30000x30000 pixels (tiny payloads)
 * must get BAD_IMAGE for each, without any decoder running, while a well-behaved camera on the same
 * line is not disturbed. Real server on loopback, the builtin backend (javax.imageio) decoding.
 */
class HugeImageHeaderTest {
  private static final int BUDGET_MS = 150;

  private LoopbackServer line;
  private int port;
  private final CountingBuiltinBackend backend = new CountingBuiltinBackend();

  @AfterEach
  void stop() {
    if (line != null) {
      line.close();
    }
  }

  private static byte[] goodJpeg(long seed) {
    PartRenderer r = new PartRenderer(64, 64, seed, 0.3);
    byte[] px = new byte[64 * 64];
    r.render(px, PixelFormat.MONO8);
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 64, 64, px);
    return TestImages.jpeg(img, 0.85f);
  }

  @Test
  void shouldRefuseHugeDeclaredImagesBeforeDecodingWithoutDisturbingAnotherCamera()
      throws Exception {
    line =
        LoopbackServer.of(new PipelineConfig(256, 1, 8, 1.0, 8192), BUDGET_MS, backend)
            .line("huge-line")
            .ingest(LoopbackServer.ingest(1 << 20))
            .start();
    port = line.port();

    BufferedImage small = TestImages.part(256, 256, TestImages.Kind.RGB, 9, true);
    byte[] jpeg = TestImages.jpeg(small, 0.8f);
    byte[] png = TestImages.png(small, 0.5f, false);
    List<byte[]> hugePayloads = new ArrayList<>();
    List<Integer> hugeFormats = new ArrayList<>();
    List<int[]> hugeFrameDims = new ArrayList<>();
    for (int side : new int[] {20_000, 30_000}) {
      for (boolean frameSaysHuge : new boolean[] {true, false}) {
        hugePayloads.add(TestImages.withJpegSize(jpeg, side, side));
        hugeFormats.add(PixelFormat.JPEG.code());
        hugePayloads.add(TestImages.withPngSize(png, side, side));
        hugeFormats.add(PixelFormat.PNG.code());
        int d = frameSaysHuge ? side : 256;
        hugeFrameDims.add(new int[] {d, d});
        hugeFrameDims.add(new int[] {d, d});
      }
    }
    byte[][] good = new byte[8][];
    for (int i = 0; i < good.length; i++) {
      good[i] = goodJpeg(i);
    }
    int bursts = 5;
    int hugeFrames = bursts * hugePayloads.size();
    int goodFrames = 100;

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (TestCamera a = TestCamera.connected(port, "cam-a");
        TestCamera b = TestCamera.connected(port, "cam-b")) {
      Future<?> sendB =
          pool.submit(
              () -> {
                for (int i = 1; i <= goodFrames; i++) {
                  b.frame(i, 64, 64, PixelFormat.JPEG.code(), good[i % good.length]);
                  Thread.sleep(10); // 100 fps
                }
                return null;
              });
      Future<List<ReasonCode>> readB =
          pool.submit(
              () -> {
                List<ReasonCode> reasons = new ArrayList<>();
                for (int i = 1; i <= goodFrames; i++) {
                  TestCamera.Message m = b.read();
                  assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), m.toString());
                  VerdictFlyweight v = m.verdict();
                  assertEquals(i, v.sequence(), "camera B order");
                  reasons.add(v.reason());
                }
                return reasons;
              });
      Future<?> sendA =
          pool.submit(
              () -> {
                Thread.sleep(100);
                long seq = 1;
                for (int burst = 0; burst < bursts; burst++) {
                  for (int k = 0; k < hugePayloads.size(); k++) {
                    int[] d = hugeFrameDims.get(k);
                    a.frame(seq++, d[0], d[1], hugeFormats.get(k), hugePayloads.get(k));
                  }
                  Thread.sleep(150);
                }
                return null;
              });
      Future<List<String>> readA =
          pool.submit(
              () -> {
                // Each frame's ERROR comes before its VERDICT (not necessarily right before it).
                List<String> errors = new ArrayList<>();
                long verdicts = 0;
                while (verdicts < hugeFrames) {
                  TestCamera.Message m = a.read();
                  if (m.type() == ProtocolV1.TYPE_ERROR) {
                    assertEquals(ErrorCode.BAD_IMAGE, m.errorCode(), m.toString());
                    assertFalse(m.fatal());
                    assertEquals(errors.size() + 1, m.errorSequence(), "ERRORs in frame order");
                    errors.add(m.errorMessage());
                    continue;
                  }
                  assertEquals(ProtocolV1.TYPE_VERDICT, m.type(), m.toString());
                  VerdictFlyweight v = m.verdict();
                  verdicts++;
                  assertEquals(verdicts, v.sequence(), "camera A order");
                  assertTrue(errors.size() >= verdicts, "ERROR before VERDICT " + verdicts);
                  assertEquals(ReasonCode.BAD_IMAGE, v.reason());
                  assertEquals(Verdict.FAIL, v.verdict());
                  assertTrue(v.failSafe());
                }
                return errors;
              });
      sendA.get(30, TimeUnit.SECONDS);
      sendB.get(30, TimeUnit.SECONDS);
      List<String> errors = readA.get(30, TimeUnit.SECONDS);
      List<ReasonCode> reasonsB = readB.get(30, TimeUnit.SECONDS);
      assertEquals(hugeFrames, errors.size());
      for (String e : errors) {
        assertTrue(e.contains("pixels, above ingest.maxImagePixels 36000000"), e);
      }
      assertEquals(goodFrames, reasonsB.size());
      for (ReasonCode r : reasonsB) {
        assertEquals(ReasonCode.NONE, r, "camera B: every frame judged, " + reasonsB);
      }
      assertFalse(a.closedByService(200));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(goodFrames, backend.decodes(), "only camera B's frames reached the decoder");
  }
}
