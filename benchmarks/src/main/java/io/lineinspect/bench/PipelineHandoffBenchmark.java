package io.lineinspect.bench;

import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.NanoClock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * The pipeline hand-off: one frame published into the ring (payload copied into the entry) until
 * the batch holding it is handed to the backend's {@link InferenceSession#infer} — ingest, the
 * preprocess stage (a no-op preprocessor) and batching, with both thread wake-ups, but not the
 * emission; with preprocessing on its own thread or inline ({@code preprocessWorkers}), with and
 * without idle polling ({@code idlePollUs}), frames back to back or after an idle gap ({@code
 * idleGapUs}, not measured). {@code baselineCopy} is the payload copy alone. With {@code -prof gc}
 * the allocation per op should be that of the baseline (JMH SampleTime's own), i.e. ≈0 B/op from
 * the pipeline.
 *
 * <p>{@code -Dbench.injectDelayUs=N} (only for demonstrating that the CI latency gate fails) makes
 * the preprocessor busy-wait N µs per frame.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PipelineHandoff -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class PipelineHandoffBenchmark {
  @Param({"4096", "65536"})
  int payloadBytes;

  /** {@code pipeline.idlePollUs}: 0 = spin briefly then park (the default), else poll this long. */
  @Param({"0", "50"})
  double idlePollUs;

  /** {@code pipeline.preprocessWorkers}: 1 = own thread (two hand-offs), 0 = inline (one). */
  @Param({"1", "0"})
  int preprocessWorkers;

  /**
   * Idle time before each frame, outside the measured time: 0 = frames back to back (consumers are
   * still spinning when the next one comes), 500 = a quiet line (consumers have parked).
   */
  @Param({"0", "500"})
  int idleGapUs;

  private InspectionPipeline pipeline;
  private PipelineRoundTripBenchmark.CountingSource source;
  private PipelineRoundTripBenchmark.Frame frame;
  private HandoffBackend backend;
  private byte[] copyTarget;

  @Setup(Level.Trial)
  public void setUp() {
    backend = new HandoffBackend(Long.getLong("bench.injectDelayUs", 0) * 1_000);
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(1024, preprocessWorkers, 8, 0.0, payloadBytes, null, idlePollUs),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            backend,
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    source = new PipelineRoundTripBenchmark.CountingSource();
    frame = new PipelineRoundTripBenchmark.Frame(new byte[payloadBytes]);
    copyTarget = new byte[payloadBytes];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pipeline.close();
  }

  @Setup(Level.Invocation)
  public void idleGap() {
    if (idleGapUs > 0) {
      long until = System.nanoTime() + idleGapUs * 1_000L;
      while (System.nanoTime() - until < 0) {
        LockSupport.parkNanos(50_000);
      }
    }
  }

  @Benchmark
  public long publishToBackend() {
    long sequence = ++frame.sequence;
    frame.receivedNs = System.nanoTime();
    pipeline.publish(source, frame);
    while (backend.lastHandedSequence < sequence) {
      Thread.onSpinWait();
    }
    return backend.lastHandedSequence;
  }

  @Benchmark
  public byte[] baselineCopy() {
    System.arraycopy(frame.payload, 0, copyTarget, 0, payloadBytes);
    return copyTarget;
  }

  /** Records the newest frame sequence handed to {@code infer}; scores every frame 0. */
  static final class HandoffBackend implements InferenceBackend {
    private static final ModelInfo MODEL = new ModelInfo("handoff", "1", "none", 0.5f);
    private final long injectDelayNs;
    volatile long lastHandedSequence;

    HandoffBackend(long injectDelayNs) {
      this.injectDelayNs = injectDelayNs;
    }

    @Override
    public ModelInfo model() {
      return MODEL;
    }

    @Override
    public int maxBatch() {
      return 64;
    }

    @Override
    public Preprocessor newPreprocessor() {
      if (injectDelayNs == 0) {
        return frame -> true;
      }
      return frame -> {
        long until = System.nanoTime() + injectDelayNs;
        while (System.nanoTime() - until < 0) {
          Thread.onSpinWait();
        }
        return true;
      };
    }

    @Override
    public InferenceSession newSession() {
      return (batch, count) -> {
        lastHandedSequence = batch[count - 1].sequence();
        for (int i = 0; i < count; i++) {
          batch[i].setResult(0f, "good");
        }
      };
    }

    @Override
    public void close() {}
  }
}
