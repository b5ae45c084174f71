package io.lineinspect.bench;

import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.FrameSource;
import io.lineinspect.core.pipeline.FrameTranslator;
import io.lineinspect.core.pipeline.InspectionPipeline;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pipeline's own cost: one frame published into the ring (payload copied into the entry),
 * preprocessed, batched, "inferred" by a backend that does no work, decided and emitted to its
 * source — measured from publish until the verdict is written. {@code baselineCopy} is the payload
 * copy alone, the floor any ingest must pay. Run with {@code -prof gc} to see allocation per op.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PipelineRoundTrip -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class PipelineRoundTripBenchmark {
  @Param({"4096", "65536", "1048576"})
  int payloadBytes;

  private InspectionPipeline pipeline;
  private CountingSource source;
  private Frame frame;
  private byte[] copyTarget;

  @Setup(Level.Trial)
  public void setUp() {
    pipeline = NoWorkPipelines.started(1024, payloadBytes);
    source = new CountingSource();
    frame = new Frame(new byte[payloadBytes]);
    copyTarget = new byte[payloadBytes];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pipeline.close();
  }

  @Benchmark
  public long publishToVerdict() {
    long before = source.verdicts;
    frame.sequence++;
    frame.receivedNs = System.nanoTime();
    pipeline.publish(source, frame);
    while (source.verdicts == before) {
      Thread.onSpinWait();
    }
    return source.verdicts;
  }

  @Benchmark
  public byte[] baselineCopy() {
    System.arraycopy(frame.payload, 0, copyTarget, 0, payloadBytes);
    return copyTarget;
  }

  /** A source that only counts verdicts. */
  static final class CountingSource extends FrameSource {
    volatile long verdicts;

    CountingSource() {
      super("bench");
    }

    @Override
    protected void writeVerdict(VerdictView verdict) {
      verdicts++;
    }

    @Override
    protected void flush() {}
  }

  /** A raw MONO8 frame of a fixed payload. */
  static final class Frame implements FrameTranslator {
    final byte[] payload;
    long sequence;
    long receivedNs;

    Frame(byte[] payload) {
      this.payload = payload;
    }

    @Override
    public long sequence() {
      return sequence;
    }

    @Override
    public long receivedNs() {
      return receivedNs;
    }

    @Override
    public long captureTimeUs() {
      return 0;
    }

    @Override
    public boolean hasEncoderCount() {
      return false;
    }

    @Override
    public long encoderCount() {
      return 0;
    }

    @Override
    public void writeTo(FrameEvent event) {
      event.setFrame(sequence, 0, false, 0, payload.length, 1, PixelFormat.MONO8, receivedNs);
      System.arraycopy(payload, 0, event.payloadBuffer(payload.length), 0, payload.length);
    }
  }
}
