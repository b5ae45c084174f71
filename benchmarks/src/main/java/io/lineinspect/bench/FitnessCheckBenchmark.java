package io.lineinspect.bench;

import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.quality.QualityCheck;
import io.lineinspect.core.quality.QualityLimits;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-frame fitness check ({@link QualityCheck}: brightness, contrast, clipped pixels, flat
 * grid cells, Laplacian sharpness) on a fit frame's model input, per input size and channel count.
 * {@code baselineSum} reads the same floats once, the floor of any one-pass statistic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FitnessCheckBenchmark {
  @Param({"128", "224"})
  int side;

  @Param({"1", "3"})
  int channels;

  private QualityCheck check;
  private float[] input;
  private final QualityLimits limits = QualityLimits.defaults();

  @Setup(Level.Trial)
  public void setUp() {
    float[] mean = new float[channels];
    float[] std = new float[channels];
    java.util.Arrays.fill(mean, 0.3f);
    java.util.Arrays.fill(std, 0.25f);
    InputLayout layout = new InputLayout(channels, side, side, mean, std);
    check = new QualityCheck(layout);
    input = new float[layout.floats()];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) ((0.2 + 0.6 * r.nextDouble() - 0.3) / 0.25);
    }
    if (check.check(input, limits) != null) {
      throw new IllegalStateException("benchmark input must be fit");
    }
  }

  @Benchmark
  public String check() {
    return check.check(input, limits);
  }

  @Benchmark
  public float baselineSum() {
    float s = 0;
    for (float v : input) {
      s += v;
    }
    return s;
  }
}
