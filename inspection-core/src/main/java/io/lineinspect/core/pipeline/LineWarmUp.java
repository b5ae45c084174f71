package io.lineinspect.core.pipeline;

import io.lineinspect.core.config.WarmupConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.time.NanoClock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The warm start: drives synthetic frames through the whole started pipeline — publish into the
 * ring, the encoded-payload check and decode of every configured pixel format, preprocessing, the
 * fitness check, batches of every size, decide, ordered delivery and the listener chain's dry run —
 * until the stage timings are steady, so the first real part is judged at the latency of the
 * thousandth (the backend's own {@code WarmUp} only runs the model on zeros).
 *
 * <p>Frames come from a {@link WarmUpSource}: its verdicts are marked warm-up, reach listeners only
 * through {@code onWarmUpVerdict} (whose default is to do nothing: no audit record, no metric, no
 * archived image, no drift sample, no actuator output), and are checked for exactly one verdict per
 * frame, in order.
 *
 * <p>Steady: the frames are sent in rounds of {@code framesPerRound}, in bursts of 1, 2, … up to
 * the largest batch (each burst waits for its verdicts); a round is steady when the median of each
 * stage (preprocess, inference, emit, receipt to verdict) is within {@code tolerancePercent} (or
 * 0.1 ms) of the previous round's. It ends after {@code minRounds} rounds when the last one was
 * steady, or at {@code maxMs}.
 *
 * <p>Threading: {@link #run} is called once, on the thread that starts the service, after {@link
 * InspectionPipeline#start()} and before any camera is accepted (it is the only publisher then).
 */
public final class LineWarmUp {
  private static final System.Logger LOG = System.getLogger(LineWarmUp.class.getName());

  /** Differences below this count as steady, however large in percent (timer noise). */
  private static final long STEADY_FLOOR_NS = 100_000;

  private static final String[] STAGES = {"preprocess", "inference", "emit", "total"};

  /** One synthetic frame: a rendered part as a camera would send it. */
  public record Frame(int width, int height, PixelFormat format, byte[] payload) {
    public Frame {
      Objects.requireNonNull(format, "format");
      Objects.requireNonNull(payload, "payload");
    }
  }

  /**
   * What the warm-up did.
   *
   * @param millis wall time of the whole warm-up
   * @param frames frames driven through the pipeline
   * @param rounds measuring rounds
   * @param steady whether it ended steady (false: stopped at {@code maxMs})
   * @param failVerdicts warm-up frames that got a FAIL verdict (judged defective or fail-safe): a
   *     real part would have been rejected; no reject was scheduled
   * @param failSafe warm-up frames that got a fail-safe verdict (they are synthetic parts: a
   *     non-zero count means the path is slow or the parts do not suit the model)
   * @param promiseBroken frames without exactly one verdict, or out of order (must be 0)
   * @param lastMediansNs the last round's medians: preprocess, inference, emit, total (ns)
   */
  public record Result(
      long millis,
      int frames,
      int rounds,
      boolean steady,
      long failVerdicts,
      long failSafe,
      long promiseBroken,
      long[] lastMediansNs) {

    /** One line for the log: {@code "312 frames, 7 rounds, steady; p50 preprocess 1.20 ms …"}. */
    public String describe() {
      StringBuilder b =
          new StringBuilder()
              .append(frames)
              .append(" frames in ")
              .append(millis)
              .append(" ms, ")
              .append(rounds)
              .append(" rounds, ")
              .append(steady ? "steady" : "NOT steady (warmup.maxMs reached)")
              .append(", FAIL ")
              .append(failVerdicts)
              .append(", fail-safe ")
              .append(failSafe);
      if (promiseBroken > 0) {
        b.append(", ").append(promiseBroken).append(" frames without exactly one verdict in order");
      }
      if (lastMediansNs != null) {
        b.append("; last round p50");
        for (int s = 0; s < STAGES.length; s++) {
          b.append(' ')
              .append(STAGES[s])
              .append(' ')
              .append(String.format(Locale.ROOT, "%.2f", lastMediansNs[s] / 1e6))
              .append(" ms");
        }
      }
      return b.toString();
    }
  }

  private LineWarmUp() {}

  /**
   * Warms up {@code pipeline} (started, no camera yet) with {@code frames}, cycled in order.
   *
   * @throws IllegalArgumentException when {@code frames} is empty
   */
  public static Result run(
      InspectionPipeline pipeline, List<Frame> frames, WarmupConfig config, NanoClock clock) {
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("no warm-up frames");
    }
    long start = clock.nanoTime();
    long capNs = TimeUnit.MILLISECONDS.toNanos(config.maxMs());
    int maxBatch = pipeline.timing().maxBatch();
    int perRound = config.framesPerRound();
    // maxMs ends it long before this; the bound only sizes the per-frame figures (a few MB).
    int maxRounds = Math.max(1, Math.min(2_000, 200_000 / perRound));
    WarmUpSource source = new WarmUpSource();
    source.expect(perRound * maxRounds, 1);
    Translator translator = new Translator();
    long waitNs = pipeline.budgetNs() + TimeUnit.SECONDS.toNanos(2);
    int sent = 0;
    int rounds = 0;
    boolean steady = false;
    long[] previous = null;
    long[] last = null;
    while (rounds < maxRounds) {
      int roundStart = sent;
      int burst = 1;
      while (sent - roundStart < perRound) {
        int n = Math.min(burst, perRound - (sent - roundStart));
        for (int k = 0; k < n; k++) {
          translator.set(frames.get(sent % frames.size()), sent + 1L, clock.nanoTime());
          pipeline.publish(source, translator);
          sent++;
        }
        awaitVerdicts(source, sent, clock, waitNs);
        burst = burst == maxBatch ? 1 : burst + 1;
      }
      rounds++;
      last = source.medians(roundStart, sent);
      boolean roundSteady = previous != null && last != null && close(previous, last, config);
      if (last != null) {
        previous = last;
      }
      if (rounds >= config.minRounds() && roundSteady) {
        steady = true;
        break;
      }
      if (clock.nanoTime() - start - capNs >= 0) {
        break;
      }
    }
    long broken = source.missing(0, sent) + source.duplicates() + source.outOfOrder();
    Result r =
        new Result(
            TimeUnit.NANOSECONDS.toMillis(clock.nanoTime() - start),
            sent,
            rounds,
            steady,
            source.fail(),
            source.failSafe(),
            broken,
            last);
    if (!steady || broken > 0) {
      LOG.log(System.Logger.Level.WARNING, "warm-up: " + r.describe());
    }
    return r;
  }

  private static boolean close(long[] a, long[] b, WarmupConfig config) {
    for (int s = 0; s < a.length; s++) {
      long d = Math.abs(a[s] - b[s]);
      if (d > STEADY_FLOOR_NS && d > config.tolerancePercent() / 100.0 * Math.max(a[s], b[s])) {
        return false;
      }
    }
    return true;
  }

  private static void awaitVerdicts(WarmUpSource source, int sent, NanoClock clock, long waitNs) {
    long until = clock.nanoTime() + waitNs;
    while (source.verdicts() < sent && clock.nanoTime() - until < 0) {
      LockSupport.parkNanos(50_000);
    }
  }

  /** Copies the current synthetic frame into a ring entry (warm-up thread only). */
  private static final class Translator implements FrameTranslator {
    private Frame frame;
    private long sequence;
    private long receivedNs;

    void set(Frame frame, long sequence, long receivedNs) {
      this.frame = frame;
      this.sequence = sequence;
      this.receivedNs = receivedNs;
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
      event.setFrame(
          sequence, 0, false, 0, frame.width(), frame.height(), frame.format(), receivedNs);
      byte[] dst = event.payloadBuffer(frame.payload().length);
      System.arraycopy(frame.payload(), 0, dst, 0, frame.payload().length);
    }
  }
}
