package io.lineinspect.bench;

import io.lineinspect.core.frame.EncodedImageCheck;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.PartRenderer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
 * The cost per frame of {@link EncodedImageCheck} (the structural check every JPEG/PNG payload
 * passes before it is decoded: Huffman walk of every block, or CRCs and a full inflate), for a
 * colour part rendered by the camera simulator and encoded by javax.imageio with its defaults (JPEG
 * quality 0.75, 4:2:0; PNG default compression). {@code baselineCopy} copies the payload once;
 * {@code imageioDecode} is the builtin backend's decode of the same payload, for scale.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class EncodedImageCheckBenchmark {
  @Param({"256x256", "1920x1200"})
  String size;

  @Param({"JPEG", "PNG"})
  PixelFormat format;

  private EncodedImageCheck check;
  private byte[] payload;
  private byte[] copyTarget;
  private int width;
  private int height;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    String[] wh = size.split("x");
    width = Integer.parseInt(wh[0]);
    height = Integer.parseInt(wh[1]);
    byte[] pixels = new byte[width * height * 3];
    new PartRenderer(width, height, 5, 1.0).render(pixels, PixelFormat.BGR8);
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    img.getRaster().setDataElements(0, 0, width, height, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format == PixelFormat.JPEG ? "jpeg" : "png", out);
    payload = out.toByteArray();
    copyTarget = new byte[payload.length];
    check = new EncodedImageCheck(36_000_000);
    String problem = check.check(format, payload, payload.length, width, height);
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    check.close();
  }

  @Benchmark
  public String check() {
    return check.check(format, payload, payload.length, width, height);
  }

  @Benchmark
  public byte[] baselineCopy() {
    System.arraycopy(payload, 0, copyTarget, 0, payload.length);
    return copyTarget;
  }

  @Benchmark
  public BufferedImage imageioDecode() throws Exception {
    return ImageIO.read(new ByteArrayInputStream(payload));
  }
}
