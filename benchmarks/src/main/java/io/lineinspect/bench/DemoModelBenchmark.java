package io.lineinspect.bench;

import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.inference.djl.DjlBackend;
import io.lineinspect.inference.djl.DjlBackendConfig;
import io.lineinspect.sim.PartRenderer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The embedded demo model through the production backend: inference time per batch size, and
 * preprocessing time per 256×256 frame (raw MONO8 and JPEG). {@code baselineCopy} copies one
 * frame's model input, the floor of any batch assembly. Run with and without tcmalloc by {@code
 * benchmarks/run-demo-model.sh}; {@code -Dinspect.home} must point at the repository (for models/).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true"})
public class DemoModelBenchmark {
  @Param({"1", "2", "4", "8", "16", "32"})
  int batch;

  private DjlBackend backend;
  private InferenceSession session;
  private Preprocessor preprocessor;
  private FrameEvent[] frames;
  private FrameEvent raw;
  private FrameEvent jpeg;
  private float[] copyTarget;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path home = Path.of(System.getProperty("inspect.home", "."));
    backend = DjlBackend.load(new DjlBackendConfig(null, "cpu", 32, 0), home);
    session = backend.newSession();
    preprocessor = backend.newPreprocessor();
    PartRenderer renderer = new PartRenderer(256, 256, 5, 0.5);
    byte[] pixels = new byte[256 * 256];
    frames = new FrameEvent[batch];
    for (int i = 0; i < batch; i++) {
      renderer.render(pixels, PixelFormat.MONO8);
      frames[i] = FrameEvent.forWarmUp(backend.inputFloats());
      frames[i].setFrame(i, 0, false, 0, 256, 256, PixelFormat.MONO8, 0);
      System.arraycopy(pixels, 0, frames[i].payloadBuffer(pixels.length), 0, pixels.length);
      preprocessor.preprocess(frames[i]);
    }
    raw = FrameEvent.forWarmUp(backend.inputFloats());
    raw.setFrame(0, 0, false, 0, 256, 256, PixelFormat.MONO8, 0);
    System.arraycopy(pixels, 0, raw.payloadBuffer(pixels.length), 0, pixels.length);
    BufferedImage img = new BufferedImage(256, 256, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 256, 256, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", out);
    byte[] jpegBytes = out.toByteArray();
    jpeg = FrameEvent.forWarmUp(backend.inputFloats());
    jpeg.setFrame(0, 0, false, 0, 256, 256, PixelFormat.JPEG, 0);
    System.arraycopy(jpegBytes, 0, jpeg.payloadBuffer(jpegBytes.length), 0, jpegBytes.length);
    copyTarget = new float[backend.inputFloats()];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    session.close();
    preprocessor.close();
    backend.close();
  }

  /** One batch of {@code batch} frames through the model (per batch, not per frame). */
  @Benchmark
  public float inferBatch() throws Exception {
    session.infer(frames, batch);
    return frames[0].score();
  }

  @Benchmark
  public float[] baselineCopy() {
    System.arraycopy(frames[0].input(), 0, copyTarget, 0, copyTarget.length);
    return copyTarget;
  }
}
