package io.lineinspect.bench;

import io.lineinspect.core.frame.PixelFormat;
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
 * Preprocessing of one camera frame for the demo model (decode if encoded, grey, area resize to
 * 128×128, normalise into NCHW floats), per frame size and format. {@code baselineCopy} copies the
 * raw payload once, the floor of any preprocessing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true"})
public class DemoPreprocessBenchmark {
  @Param({"256", "640"})
  int side;

  @Param({"MONO8", "JPEG"})
  PixelFormat format;

  private DjlBackend backend;
  private Preprocessor preprocessor;
  private FrameEvent frame;
  private byte[] copyTarget;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path home = Path.of(System.getProperty("inspect.home", "."));
    backend = DjlBackend.load(new DjlBackendConfig(null, "cpu", 1, 0), home);
    preprocessor = backend.newPreprocessor();
    byte[] pixels = new byte[side * side];
    new PartRenderer(side, side, 5, 0.5).render(pixels, PixelFormat.MONO8);
    byte[] payload = pixels;
    if (format == PixelFormat.JPEG) {
      BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, side, side, pixels);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(img, "jpeg", out);
      payload = out.toByteArray();
    }
    frame = FrameEvent.forWarmUp(backend.inputFloats());
    frame.setFrame(0, 0, false, 0, side, side, format, 0);
    System.arraycopy(payload, 0, frame.payloadBuffer(payload.length), 0, payload.length);
    copyTarget = new byte[payload.length];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    preprocessor.close();
    backend.close();
  }

  @Benchmark
  public boolean preprocess() {
    return preprocessor.preprocess(frame);
  }

  @Benchmark
  public byte[] baselineCopy() {
    System.arraycopy(frame.payload(), 0, copyTarget, 0, copyTarget.length);
    return copyTarget;
  }
}
