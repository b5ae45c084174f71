package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.frame.TestImages;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.pipeline.RecordingSource;
import io.lineinspect.core.pipeline.TestFrame;
import io.lineinspect.core.time.NanoClock;
import io.lineinspect.sim.PartRenderer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.imgcodecs.Imgcodecs;

/**
 * The DJL backend's decoding path (OpenCV {@code imdecode} in {@link OpenCvPreprocessor}) behind
 * the pipeline's encoded-payload check. Images come from the camera simulator's renderer (parts
 * with defects) and are encoded by OpenCV (libjpeg-turbo, libpng) the way a camera gateway built on
 * OpenCV would: several JPEG qualities, sampling 4:2:0 / 4:2:2 / 4:4:4 / 4:1:1 / 4:4:0, restart
 * intervals, optimised tables, grey and colour; PNG grey and BGR at several compression levels and
 * strategies.
 */
class OpenCvEncodedPayloadTest {
  private static final ModelManifest.Input RGB_32 =
      new ModelManifest.Input(
          32,
          32,
          3,
          PixelFormat.RGB8,
          "AREA",
          List.of(0.5, 0.5, 0.5),
          List.of(0.25, 0.25, 0.25),
          null);
  private static final int W = 256;
  private static final int H = 256;

  /** One encoded frame and how it was made. */
  record Sample(String name, PixelFormat format, byte[] bytes, boolean defect) {}

  private static final List<Sample> JPEGS = new ArrayList<>();
  private static final List<Sample> PNGS = new ArrayList<>();

  private InspectionPipeline pipeline;
  private final AtomicLong decodes = new AtomicLong();
  private final RecordingSource source = new RecordingSource("cam");
  private final TestFrame frame = new TestFrame();
  private long sequence;

  static byte[] encode(Mat m, String ext, int... params) {
    MatOfByte out = new MatOfByte();
    MatOfInt p = new MatOfInt(params);
    assertTrue(Imgcodecs.imencode(ext, m, out, p));
    byte[] b = out.toArray();
    out.release();
    p.release();
    return b;
  }

  static Mat render(PartRenderer r, boolean colour, boolean[] defect) {
    PixelFormat f = colour ? PixelFormat.BGR8 : PixelFormat.MONO8;
    byte[] px = new byte[(int) f.rawPayloadBytes(r.width(), r.height())];
    defect[0] = r.render(px, f).defective();
    Mat m = new Mat(r.height(), r.width(), colour ? CvType.CV_8UC3 : CvType.CV_8UC1);
    m.put(0, 0, px);
    return m;
  }

  @BeforeAll
  static void encodeSamples() {
    OpenCvNatives.load();
    PartRenderer r = new PartRenderer(W, H, 11, 0.7);
    int[] samplings = {
      Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420,
      Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_422,
      Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444,
      Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_411,
      Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_440
    };
    boolean[] defect = new boolean[1];
    for (int part = 0; part < 6; part++) {
      for (boolean colour : new boolean[] {false, true}) {
        Mat m = render(r, colour, defect);
        for (int q : new int[] {40, 75, 90, 100}) {
          for (int rst : new int[] {0, 3}) {
            for (int opt : new int[] {0, 1}) {
              for (int s = 0; s < (colour ? samplings.length : 1); s++) {
                JPEGS.add(
                    new Sample(
                        String.format(
                            "part %d %s q%d rst%d opt%d sampling %x",
                            part, colour ? "BGR" : "grey", q, rst, opt, samplings[s]),
                        PixelFormat.JPEG,
                        encode(
                            m,
                            ".jpg",
                            Imgcodecs.IMWRITE_JPEG_QUALITY,
                            q,
                            Imgcodecs.IMWRITE_JPEG_RST_INTERVAL,
                            rst,
                            Imgcodecs.IMWRITE_JPEG_OPTIMIZE,
                            opt,
                            Imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR,
                            samplings[s]),
                        defect[0]));
              }
            }
          }
        }
        for (int level : new int[] {0, 1, 6, 9}) {
          for (int strategy : new int[] {0, 1, 3}) {
            PNGS.add(
                new Sample(
                    String.format(
                        "part %d %s level %d strategy %d",
                        part, colour ? "BGR" : "grey", level, strategy),
                    PixelFormat.PNG,
                    encode(
                        m,
                        ".png",
                        Imgcodecs.IMWRITE_PNG_COMPRESSION,
                        level,
                        Imgcodecs.IMWRITE_PNG_STRATEGY,
                        strategy),
                    defect[0]));
          }
        }
        m.release();
      }
    }
  }

  /** Frames preprocessed by the real OpenCvPreprocessor; the session scores every frame 0.2. */
  private final class OpenCvOnlyBackend implements InferenceBackend {
    @Override
    public ModelInfo model() {
      return new ModelInfo("opencv-test", "1", "0".repeat(64), 0.5f);
    }

    @Override
    public int maxBatch() {
      return 8;
    }

    @Override
    public int inputFloats() {
      return 3 * 32 * 32;
    }

    @Override
    public Preprocessor newPreprocessor() {
      OpenCvPreprocessor p = new OpenCvPreprocessor(RGB_32);
      return new Preprocessor() {
        @Override
        public boolean preprocess(FrameEvent f) {
          decodes.incrementAndGet();
          return p.preprocess(f);
        }

        @Override
        public void close() {
          p.close();
        }
      };
    }

    @Override
    public InferenceSession newSession() {
      return (FrameEvent[] batch, int count) -> {
        for (int i = 0; i < count; i++) {
          batch[i].setResult(0.2f, "good");
        }
      };
    }

    @Override
    public void close() {}
  }

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
            new OpenCvOnlyBackend(),
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
  }

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
    return source.written().get(before).reason();
  }

  @Test
  void shouldAcceptEveryValidOpenCvEncodedJpegAndPng() {
    assertTrue(JPEGS.size() >= 300, "JPEG samples: " + JPEGS.size());
    try (EncodedImageCheck check = new EncodedImageCheck(36_000_000)) {
      for (Sample s : JPEGS) {
        assertNull(check.check(s.format(), s.bytes(), s.bytes().length, W, H), s.name());
      }
      for (Sample s : PNGS) {
        assertNull(check.check(s.format(), s.bytes(), s.bytes().length, W, H), s.name());
      }
    }
  }

  @Test
  void shouldJudgeValidFramesThroughThePipelineOnTheOpenCvPath() throws Exception {
    start();
    int n = 0;
    for (int i = 0; i < JPEGS.size(); i += 3) {
      assertEquals(ReasonCode.NONE, judge(JPEGS.get(i).bytes(), W, H, PixelFormat.JPEG));
      n++;
    }
    for (Sample s : PNGS) {
      assertEquals(ReasonCode.NONE, judge(s.bytes(), W, H, PixelFormat.PNG), s.name());
      n++;
    }
    assertEquals(n, decodes.get());
  }

  @Test
  void shouldRefuseTruncatedJpegAsBadImageOnTheOpenCvPath() throws Exception {
    start();
    int refused = 0;
    for (Sample s : JPEGS) {
      if (!s.defect() || s.name().contains("opt1")) {
        continue; // defect parts only, as the tester did; halves the run time
      }
      for (int pct = 60; pct <= 95; pct += 5) {
        byte[] cut = Arrays.copyOf(s.bytes(), s.bytes().length * pct / 100);
        assertEquals(
            ReasonCode.BAD_IMAGE, judge(cut, W, H, PixelFormat.JPEG), s.name() + " " + pct + " %");
        refused++;
      }
    }
    assertTrue(refused >= 400, "truncated frames: " + refused);
    assertEquals(0, decodes.get(), "no truncated JPEG reached imdecode");
  }

  @Test
  void shouldRefuseJpegWithThirtyChangedScanBytesOnTheOpenCvPath() throws Exception {
    start();
    Random r = new Random(30);
    for (Sample s : JPEGS) {
      if (!s.defect()) {
        continue;
      }
      byte[] b = s.bytes().clone();
      int[] scan = TestImages.jpegScan(b);
      for (int i = 0; i < 30; i++) {
        int at = scan[0] + r.nextInt(scan[1] - scan[0]);
        b[at] = (byte) (b[at] ^ (1 + r.nextInt(255)));
      }
      assertEquals(ReasonCode.BAD_IMAGE, judge(b, W, H, PixelFormat.JPEG), s.name());
    }
    assertEquals(0, decodes.get());
  }

  @Test
  void shouldRefuseCorruptPngAndPatchedJpegOnTheOpenCvPath() throws Exception {
    start();
    for (Sample s : PNGS) {
      byte[] bad = s.bytes().clone();
      int idat = TestImages.pngChunk(bad, "IDAT");
      bad[idat + 9] ^= 0x40;
      assertEquals(ReasonCode.BAD_IMAGE, judge(bad, W, H, PixelFormat.PNG), s.name() + " crc");
      byte[] noIend = Arrays.copyOf(s.bytes(), s.bytes().length - 12);
      assertEquals(ReasonCode.BAD_IMAGE, judge(noIend, W, H, PixelFormat.PNG), s.name() + " iend");
      byte[] cut = Arrays.copyOf(s.bytes(), s.bytes().length * 80 / 100);
      assertEquals(ReasonCode.BAD_IMAGE, judge(cut, W, H, PixelFormat.PNG), s.name() + " cut");
    }
    for (int i = 0; i < 20; i++) {
      byte[] big = TestImages.withJpegSize(JPEGS.get(i * 7).bytes(), 512, 512);
      assertEquals(ReasonCode.BAD_IMAGE, judge(big, 512, 512, PixelFormat.JPEG));
    }
    for (int side : new int[] {20_000, 30_000}) {
      byte[] j = TestImages.withJpegSize(JPEGS.get(5).bytes(), side, side);
      byte[] p = TestImages.withPngSize(PNGS.get(5).bytes(), side, side);
      // PreprocessHandler relies on ingest for the pixel limit; the payload must still be whole.
      assertEquals(ReasonCode.BAD_IMAGE, judge(j, side, side, PixelFormat.JPEG));
      assertEquals(ReasonCode.BAD_IMAGE, judge(p, side, side, PixelFormat.PNG));
    }
    assertEquals(0, decodes.get());
  }
}
