package io.lineinspect.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.frame.TestImages;
import io.lineinspect.core.frame.TestImages.Kind;
import io.lineinspect.core.metrics.PipelineMetrics;
import io.lineinspect.core.testing.CountingBuiltinBackend;
import io.lineinspect.core.time.NanoClock;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Encoded payloads through the real pipeline with the builtin backend (javax.imageio decoding in
 * GreyDownsampler): partial or corrupt JPEG/PNG frames are BAD_IMAGE and never reach the decoder;
 * valid ones of every variant are judged.
 */
class EncodedPayloadPipelineTest {
  private InspectionPipeline pipeline;
  private final CountingBuiltinBackend backend = new CountingBuiltinBackend();
  private final RecordingSource source = new RecordingSource("cam");
  private final TestFrame frame = new TestFrame();
  private long sequence;

  @AfterEach
  void stop() {
    if (pipeline != null) {
      pipeline.close(5_000);
    }
  }

  private void start() {
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(64, 1, 8, 0.0, 1 << 16, null, null),
            TimeUnit.SECONDS.toNanos(30),
            Verdict.FAIL,
            backend,
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
  }

  /** Publishes one frame and returns the reason of its verdict. */
  private ReasonCode judge(byte[] payload, int w, int h, PixelFormat format) throws Exception {
    int before = source.count();
    pipeline.publish(
        source, frame.set(++sequence, System.nanoTime(), 0).image(payload, w, h, format));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (source.count() == before) {
      if (System.nanoTime() - until > 0) {
        throw new AssertionError("no verdict for frame " + sequence);
      }
      Thread.sleep(0, 200_000);
    }
    RecordingSource.Written w0 = source.written().get(before);
    assertEquals(sequence, w0.sequence());
    return w0.reason();
  }

  private static List<byte[]> defectJpegs(int w, int h) {
    List<byte[]> out = new ArrayList<>();
    long seed = 100;
    for (Kind kind : Kind.values()) {
      for (int i = 0; i < 3; i++) {
        BufferedImage img = TestImages.part(w, h, kind, seed++, true);
        for (float q : new float[] {0.5f, 0.75f, 0.95f}) {
          out.add(TestImages.jpeg(img, q, true, 0, false, false));
          if (kind == Kind.RGB) {
            out.add(TestImages.jpeg(img, q, false, 8, true, false));
          }
        }
      }
    }
    return out;
  }

  @Test
  void shouldJudgeEveryValidJpegAndPngOnTheBuiltinBackend() throws Exception {
    start();
    int judged = 0;
    for (byte[] j : defectJpegs(256, 256)) {
      assertEquals(ReasonCode.NONE, judge(j, 256, 256, PixelFormat.JPEG));
      judged++;
    }
    for (Kind kind : Kind.values()) {
      BufferedImage img = TestImages.part(200, 150, kind, 5, true);
      for (float c : new float[] {0f, 0.5f, 1f}) {
        for (boolean adam7 : new boolean[] {false, true}) {
          assertEquals(
              ReasonCode.NONE, judge(TestImages.png(img, c, adam7), 200, 150, PixelFormat.PNG));
          judged++;
        }
      }
    }
    assertEquals(judged, backend.decodes());
  }

  @Test
  void shouldRefuseTruncatedJpegAsBadImageWithoutDecodingItOnTheBuiltinBackend() throws Exception {
    start();
    int refused = 0;
    for (byte[] j : defectJpegs(256, 256)) {
      for (int pct = 60; pct <= 95; pct += 5) {
        byte[] cut = Arrays.copyOf(j, j.length * pct / 100);
        assertEquals(ReasonCode.BAD_IMAGE, judge(cut, 256, 256, PixelFormat.JPEG), pct + " %");
        refused++;
      }
    }
    assertEquals(8 * defectJpegs(256, 256).size(), refused);
    assertEquals(0, backend.decodes(), "no truncated JPEG reached the decoder");
    assertEquals(
        refused,
        pipeline.metrics().encodedRefused(PixelFormat.JPEG, EncodedImageCheck.Cause.TRUNCATED),
        "counted as truncated");
  }

  @Test
  void shouldRefuseCorruptPngAndPatchedJpegAsBadImageOnTheBuiltinBackend() throws Exception {
    start();
    BufferedImage img = TestImages.part(256, 256, Kind.RGB, 77, true);
    byte[] png = TestImages.png(img, 0.5f, false);
    byte[] badCrc = png.clone();
    int idat = TestImages.pngChunk(badCrc, "IDAT");
    badCrc[idat + 20] ^= 1;
    assertEquals(ReasonCode.BAD_IMAGE, judge(badCrc, 256, 256, PixelFormat.PNG));
    byte[] noIend = Arrays.copyOf(png, png.length - 12);
    assertEquals(ReasonCode.BAD_IMAGE, judge(noIend, 256, 256, PixelFormat.PNG));
    for (int pct = 60; pct <= 95; pct += 5) {
      byte[] cut = Arrays.copyOf(png, png.length * pct / 100);
      assertEquals(ReasonCode.BAD_IMAGE, judge(cut, 256, 256, PixelFormat.PNG));
    }
    byte[] jpeg = TestImages.jpeg(img, 0.8f);
    byte[] big = TestImages.withJpegSize(jpeg, 512, 512);
    assertEquals(ReasonCode.BAD_IMAGE, judge(big, 512, 512, PixelFormat.JPEG));
    assertEquals(ReasonCode.BAD_IMAGE, judge(big, 256, 256, PixelFormat.JPEG));
    assertEquals(0, backend.decodes());
    PipelineMetrics m = pipeline.metrics();
    assertEquals(1, m.encodedRefused(PixelFormat.PNG, EncodedImageCheck.Cause.CORRUPT), "bad CRC");
    assertEquals(9, m.encodedRefused(PixelFormat.PNG, EncodedImageCheck.Cause.TRUNCATED));
    assertEquals(
        2,
        m.encodedRefused(PixelFormat.JPEG, EncodedImageCheck.Cause.TRUNCATED)
            + m.encodedRefused(PixelFormat.JPEG, EncodedImageCheck.Cause.SIZE));
    assertEquals(ReasonCode.NONE, judge(png, 256, 256, PixelFormat.PNG));
    assertEquals(ReasonCode.NONE, judge(jpeg, 256, 256, PixelFormat.JPEG));
  }
}
