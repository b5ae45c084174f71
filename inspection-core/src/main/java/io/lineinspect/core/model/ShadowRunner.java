package io.lineinspect.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lmax.disruptor.EventTranslatorOneArg;
import io.lineinspect.core.audit.ImageCopy;
import io.lineinspect.core.config.ShadowConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.HandOffRing;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Pacer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Shadow mode: a candidate model judges a sample of the frames the live model judged, on spare
 * capacity only, and every disagreement with the live verdict is counted and recorded. The shadow
 * never changes a verdict: it reads the views it is given and nothing flows back to the line.
 *
 * <p><b>Threads.</b> {@link #onVerdict} runs on the pipeline's inference thread (any thread is
 * safe): it samples every {@code sampleEvery}-th frame the live model judged ({@code reason ==
 * NONE}, with an image), copies image, identity and live verdict into one of {@code slots} (rounded
 * up to a power of two) preallocated {@link ImageCopy} buffers on a {@link HandOffRing} and
 * returns. It never waits and never throws: with no free slot the sample is skipped and counted
 * ({@code skippedBusy}); an unexpected error counts as {@code failed}. The daemon thread {@code
 * shadow-<candidate id>} owns the {@link ImageJudge} (made and closed on it), the record file and
 * the images: it takes the slots one at a time, judges and compares.
 *
 * <p><b>Spare capacity.</b> Before judging a sample, the shadow thread waits (1 ms parks, at most
 * {@value #IDLE_WAIT_MS} ms) until {@code lineIdle} says no frame is waiting or being judged; if
 * the line stays busy the sample is dropped and counted as {@code skippedBusy}, so a busy line is
 * never competed with. A frame that arrives while the shadow is judging shares the machine with at
 * most that one image (the shadow never holds the pipeline's threads or ring); the judge's {@code
 * dutyCycle} sleeps after each image, so the shadow takes at most that share of one core even on an
 * idle line.
 *
 * <p><b>Records.</b> Each disagreement appends one JSON line to {@code <dir>/disagreements.jsonl}:
 *
 * <pre>{@code
 * {"cam":"cam-1","frame":4,"captureUs":1000004,
 *  "live":{"model":"bracket@3","verdict":"FAIL","score":0.6},
 *  "candidate":{"model":"bracket@4","verdict":"PASS","score":0.58},
 *  "image":"cam-1_4_1000004.png"}
 * }</pre>
 *
 * (one line in the file) and saves the frame as {@code <dir>/<image>} (raw frames as PNG, JPEG and
 * PNG as received) until {@code maxImages} images were saved by this runner; later records have
 * {@code "image":null}. The counters ({@link #stats()}) are thread-safe.
 */
public final class ShadowRunner implements VerdictListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ShadowRunner.class.getName());

  /** The record file in {@code dir}. */
  public static final String RECORDS = "disagreements.jsonl";

  static final long IDLE_WAIT_MS = 200;
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long START_WAIT_MS = 30_000;
  private static final long CLOSE_WAIT_MS = 5_000;

  /**
   * Counters since the runner started; each is exact, together they are not one atomic cut while
   * samples are in flight. Once {@link #close()} has let the shadow thread end, {@code offered ==
   * skippedBusy + judged + failed}.
   *
   * @param offered frames sampled for the shadow model
   * @param skippedBusy samples not judged for lack of spare capacity: no free slot, the line stayed
   *     busy, or still queued when the runner closed
   * @param judged samples the candidate judged ({@code agreed + disagreed})
   * @param agreed the candidate's verdict equals the live verdict
   * @param disagreed the candidate's verdict differs from the live verdict (each one recorded)
   * @param failed samples the candidate could not judge (bad image, inference error) or that failed
   *     unexpectedly
   * @param imagesSaved images of disagreements saved (at most {@code maxImages})
   */
  public record Stats(
      long offered,
      long skippedBusy,
      long judged,
      long agreed,
      long disagreed,
      long failed,
      long imagesSaved) {}

  /** One sample on its way to the shadow model. */
  private static final class Slot {
    final ImageCopy image = new ImageCopy();
    Verdict liveVerdict;
    float liveScore;
    ModelInfo liveModel;
  }

  private final ShadowConfig config;
  private final Path dir;
  private final InferenceBackend backend;
  private final int threads;
  private final ModelInfo candidate;
  private final BooleanSupplier lineIdle;
  private static final EventTranslatorOneArg<Slot, VerdictView> COPY =
      (s, sequence, v) -> {
        s.image.clear(); // copyFrom sets the camera last: a copy that threw is found and skipped
        s.image.copyFrom(v);
        s.liveVerdict = v.verdict();
        s.liveScore = v.score();
        s.liveModel = v.model();
      };

  private final HandOffRing<Slot> slots;
  private final Consumer<Slot> judgeSlot = this::judge;
  private final Consumer<Slot> skipSlot = this::skip;
  private ImageJudge judge;
  private final Thread thread;
  private final CountDownLatch started = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ObjectMapper json = new ObjectMapper();
  private final BufferedWriter records;
  private final AtomicLong offered = new AtomicLong();
  private final AtomicLong skippedBusy = new AtomicLong();
  private final AtomicLong agreed = new AtomicLong();
  private final AtomicLong disagreed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong imagesSaved = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean abandon;
  private volatile Throwable startFailure;
  private long writeErrors;

  /**
   * Opens (creating) {@code dir} and its record file, starts the shadow thread and waits (bounded)
   * until the candidate's judge is built on it.
   *
   * @param config sampling, slots, duty cycle and image quota
   * @param dir where disagreements are recorded (resolved by the caller)
   * @param candidate the shadow model's backend (loaded and owned by the caller; not closed here)
   * @param lineIdle true when the line has no frame waiting or being judged (the shadow judges only
   *     then: spare capacity); called on the shadow thread, must be thread-safe and cheap
   * @throws IOException when the directory or record file cannot be created
   * @throws IllegalArgumentException when the candidate has no model loaded
   * @throws IllegalStateException when the candidate's judge cannot be built
   */
  public ShadowRunner(
      ShadowConfig config, Path dir, InferenceBackend candidate, BooleanSupplier lineIdle)
      throws IOException {
    this(config, dir, candidate, lineIdle, 0);
  }

  /**
   * @param threads native threads of the shadow model's inference ({@link
   *     InferenceBackend#limitCallingThread}), 0 to leave the backend's default
   */
  public ShadowRunner(
      ShadowConfig config,
      Path dir,
      InferenceBackend candidate,
      BooleanSupplier lineIdle,
      int threads)
      throws IOException {
    this.threads = threads;
    this.config = config;
    this.dir = dir;
    this.backend = candidate;
    this.candidate = candidate.model();
    if (this.candidate == null) {
      throw new IllegalArgumentException("shadow: the candidate backend has no model loaded");
    }
    this.lineIdle = lineIdle;
    Files.createDirectories(dir);
    records =
        Files.newBufferedWriter(
            dir.resolve(RECORDS),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
    slots = new HandOffRing<>(Slot::new, config.slots());
    thread = new Thread(this::run, "shadow-" + this.candidate.id());
    thread.setDaemon(true);
    thread.start();
    awaitStart();
  }

  private void awaitStart() {
    boolean ready;
    try {
      ready = started.await(START_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ready = false;
    }
    if (startFailure != null) {
      throw new IllegalStateException(
          "shadow: the judge for " + candidate.id() + " could not be built: " + startFailure,
          startFailure);
    }
    if (!ready) {
      LOG.log(
          Level.WARNING,
          "shadow: the judge for {0} is still being built; samples wait or are skipped until then",
          candidate.id());
    }
  }

  /** The shadow model. */
  public ModelInfo candidate() {
    return candidate;
  }

  /** Samples, copies and returns: never waits, never throws, never touches the view. */
  @Override
  public void onVerdict(VerdictView v) {
    if (!running) {
      return;
    }
    boolean counted = false;
    try {
      if (v.reason() != ReasonCode.NONE
          || v.verdict() == null
          || v.sequence() % config.sampleEvery() != 0
          || !ImageCopy.hasImage(v)) {
        return;
      }
      offered.incrementAndGet();
      counted = true;
      if (!slots.offer(COPY, v)) {
        skippedBusy.incrementAndGet();
      }
    } catch (RuntimeException e) {
      if (!counted) {
        offered.incrementAndGet();
      }
      failed("sample not taken: " + e);
    }
  }

  private void run() {
    Pacer.lowerCallingThreadPriority();
    try {
      if (threads > 0) {
        backend.limitCallingThread(threads);
      }
      // Idle-waiting is done here (a sample the line leaves no room for is skipped, not delayed);
      // the judge only rests after each image.
      judge = new ImageJudge(backend, new Pacer(config.dutyCycle(), () -> true, 0));
    } catch (RuntimeException | LinkageError e) {
      LOG.log(Level.ERROR, "shadow: the judge for " + candidate.id() + " could not be built", e);
      startFailure = e;
      started.countDown();
      closeRecords();
      return;
    }
    started.countDown();
    try {
      while (running || !slots.isEmpty()) {
        if (!slots.poll(judgeSlot)) {
          LockSupport.parkNanos(IDLE_PARK_NS);
        }
      }
    } finally {
      while (slots.poll(skipSlot)) {
        // each slot still waiting is counted as skipped
      }
      try {
        judge.close();
      } finally {
        closeRecords();
      }
    }
  }

  /** Judges one slot on the shadow thread; the ring frees the slot when this returns. */
  private void judge(Slot s) {
    try {
      if (s.image.camera() == null) {
        return; // its copy threw: already counted as failed by onVerdict
      } else if (abandon || !awaitIdleLine()) {
        skippedBusy.incrementAndGet();
      } else {
        compare(judge, s);
      }
    } catch (RuntimeException e) {
      failed("shadow sample of " + s.image.camera() + "#" + s.image.frame() + ": " + e);
    } finally {
      s.image.clear();
      s.liveModel = null;
    }
  }

  private void skip(Slot s) {
    skippedBusy.incrementAndGet();
    s.image.clear();
    s.liveModel = null;
  }

  /** Whether the line became idle within {@value #IDLE_WAIT_MS} ms (short parks, bounded). */
  private boolean awaitIdleLine() {
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MS);
    while (!lineIdle.getAsBoolean()) {
      if (abandon || System.nanoTime() - deadlineNs >= 0) {
        return false;
      }
      LockSupport.parkNanos(IDLE_PARK_NS);
    }
    return true;
  }

  /** Judges one sample with the candidate and counts (and records) the outcome. */
  private void compare(ImageJudge judge, Slot s) {
    ImageCopy img = s.image;
    ImageJudge.Result r =
        judge.judge(img.bytes(), img.length(), img.width(), img.height(), img.format());
    if (!r.judged()) {
      failed(
          "shadow: " + candidate.id() + " could not judge " + img.fileName() + ": " + r.problem());
      return;
    }
    if (r.verdict() == s.liveVerdict) {
      agreed.incrementAndGet();
      return;
    }
    disagreed.incrementAndGet();
    record(s, r);
  }

  /**
   * Saves the image (within the quota) and appends the JSON line; errors are logged, not thrown.
   */
  private void record(Slot s, ImageJudge.Result r) {
    ImageCopy img = s.image;
    String imageName = null;
    if (imagesSaved.get() < config.maxImages()) {
      try {
        img.writeTo(dir.resolve(img.fileName()));
        imageName = img.fileName();
        imagesSaved.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        writeFailed("image " + img.fileName(), e);
      }
    }
    try {
      ObjectNode line = json.createObjectNode();
      line.put("cam", img.camera()).put("frame", img.frame()).put("captureUs", img.captureUs());
      line.set("live", side(s.liveModel, s.liveVerdict, s.liveScore));
      line.set("candidate", side(candidate, r.verdict(), r.score()));
      line.put("image", imageName);
      records.write(json.writeValueAsString(line));
      records.newLine();
      records.flush();
    } catch (IOException | RuntimeException e) {
      writeFailed(RECORDS, e);
    }
  }

  private ObjectNode side(ModelInfo model, Verdict verdict, float score) {
    ObjectNode n = json.createObjectNode();
    n.put("model", model == null ? null : model.id()).put("verdict", verdict.name());
    if (Float.isNaN(score)) {
      n.putNull("score");
    } else {
      n.put("score", score);
    }
    return n;
  }

  /** Counts a failed sample; logs the 1st, 2nd, 4th, 8th … (never floods the log). */
  private void failed(String what) {
    long n = failed.incrementAndGet();
    if (ErrorLog.shouldLog(n)) {
      LOG.log(Level.WARNING, "{0} ({1} failed so far)", what, n);
    }
  }

  private void writeFailed(String what, Exception e) {
    writeErrors++;
    if (ErrorLog.shouldLog(writeErrors)) {
      LOG.log(
          Level.WARNING,
          "shadow: {0} not written in {1}: {2} ({3} write errors so far)",
          what,
          dir,
          e.toString(),
          writeErrors);
    }
  }

  private void closeRecords() {
    try {
      records.close();
    } catch (IOException e) {
      writeFailed(RECORDS, e);
    }
  }

  /** A snapshot of the counters; any thread. */
  public Stats stats() {
    long a = agreed.get();
    long d = disagreed.get();
    return new Stats(
        offered.get(), skippedBusy.get(), a + d, a, d, failed.get(), imagesSaved.get());
  }

  /**
   * Stops sampling, lets the shadow thread finish the samples in hand (still only while the line is
   * idle) for up to {@value #CLOSE_WAIT_MS} ms, then drops the rest as {@code skippedBusy}. The
   * judge is closed on the shadow thread; if an inference is still running after the wait, that
   * happens when it returns (logged). The candidate backend is not closed; its owner may close it
   * right after this returns, even while the shadow thread is still inside an inference: a {@link
   * io.lineinspect.core.inference.GuardedBackend} closes its model only when this thread has closed
   * its judge's session, after the inference returned. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    running = false;
    try {
      thread.join(CLOSE_WAIT_MS);
      if (thread.isAlive()) {
        abandon = true;
        thread.join(IDLE_WAIT_MS * 5);
      }
    } catch (InterruptedException e) {
      abandon = true;
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.log(
          Level.WARNING,
          "shadow: {0} is still judging after close; its judge closes when that returns",
          candidate.id());
    }
  }
}
