package io.lineinspect.camera.ingest;

import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.IngestConfig;
import io.lineinspect.core.config.LineConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import java.util.concurrent.TimeUnit;

/**
 * The real camera server on loopback in front of a started pipeline, on the system clock, fail-safe
 * FAIL: what every full-stack ingest test stands up (this module's and, through its test-jar,
 * {@code line-simulator}'s). The budget is given once and used for both the pipeline's deadline and
 * the line's {@code budgetMs}.
 *
 * <p>Owned by the test's thread: {@link Builder#start()} once, {@link #close()} in {@code
 * AfterEach} (server first, then pipeline, as the service does).
 */
public final class LoopbackServer implements AutoCloseable {
  private final InspectionPipeline pipeline;
  private final CameraServer server;
  private final int port;

  private LoopbackServer(InspectionPipeline pipeline, CameraServer server, int port) {
    this.pipeline = pipeline;
    this.server = server;
    this.port = port;
  }

  /** A server on 127.0.0.1, a free port, one I/O thread, 10 s idle timeout, transport auto. */
  public static IngestConfig ingest(int maxMessageBytes) {
    return ingest(maxMessageBytes, 10_000, 1, "auto");
  }

  /** A server on 127.0.0.1 and a free port, the client limits at their defaults. */
  public static IngestConfig ingest(
      int maxMessageBytes, int idleTimeoutMs, int ioThreads, String transport) {
    return new IngestConfig(
        "127.0.0.1", 0, maxMessageBytes, idleTimeoutMs, ioThreads, transport, null);
  }

  /** A line judged by {@code backend} within {@code budgetMs}, with the pipeline's settings. */
  public static Builder of(PipelineConfig pipeline, int budgetMs, InferenceBackend backend) {
    return new Builder(pipeline, budgetMs, backend);
  }

  /** The optional parts, each with the default the tests share. */
  public static final class Builder {
    private final PipelineConfig pipeline;
    private final int budgetMs;
    private final InferenceBackend backend;
    private String lineName = "test-line";
    private IngestConfig ingest = LoopbackServer.ingest(1 << 20);
    private VerdictListener listener;
    private CameraClocks clocks;

    private Builder(PipelineConfig pipeline, int budgetMs, InferenceBackend backend) {
      this.pipeline = pipeline;
      this.budgetMs = budgetMs;
      this.backend = backend;
    }

    /** The line's name (default {@code test-line}). */
    public Builder line(String name) {
      this.lineName = name;
      return this;
    }

    /** The server's settings (default {@link LoopbackServer#ingest(int) ingest(1 MiB)}). */
    public Builder ingest(IngestConfig config) {
      this.ingest = config;
      return this;
    }

    /** Called for every verdict (default none). */
    public Builder listener(VerdictListener l) {
      this.listener = l;
      return this;
    }

    /** Where the cameras' HEARTBEAT timestamps go (default a fresh 10 s window). */
    public Builder clocks(CameraClocks c) {
      this.clocks = c;
      return this;
    }

    /** Starts the pipeline, then the server; on failure closes what was started. */
    public LoopbackServer start() throws Exception {
      InspectionPipeline p =
          new InspectionPipeline(
              pipeline,
              TimeUnit.MILLISECONDS.toNanos(budgetMs),
              Verdict.FAIL,
              backend,
              listener,
              NanoClock.SYSTEM,
              Thread::new);
      CameraServer s = null;
      try {
        p.start();
        s =
            new CameraServer(
                ingest,
                new LineConfig(lineName, budgetMs, Verdict.FAIL),
                p,
                NanoClock.SYSTEM,
                clocks != null
                    ? clocks
                    : new CameraClocks(10_000, RejectScheduler::systemEpochMicros));
        return new LoopbackServer(p, s, s.start());
      } catch (Exception | Error e) {
        if (s != null) {
          s.close();
        }
        p.close();
        throw e;
      }
    }
  }

  public InspectionPipeline pipeline() {
    return pipeline;
  }

  public CameraServer server() {
    return server;
  }

  /** The bound port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Closes the server (every received frame answered first), then the pipeline. Idempotent. */
  @Override
  public void close() {
    server.close();
    pipeline.close();
  }
}
