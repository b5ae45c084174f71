package io.lineinspect.core.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.lineinspect.core.config.AuditConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The audit trail: every verdict appended, on the {@code audit-writer} thread, to segment files of
 * JSON lines, each line carrying the SHA-256 of the previous line's hash and its own content, so
 * that any change, removal or truncation is found by {@link AuditVerifier}. Format and guarantees:
 * {@code docs/operations.md}.
 *
 * <p>The pipeline never waits for the disk: {@link #onVerdict} copies the verdict into a ring and
 * returns. The ring is shared fairly ({@link AuditQuotas}): a camera under its share of the ring is
 * always admitted, and a camera over it while others need their shares (a flood) has its newest
 * records dropped — counted per camera ({@link #droppedByCamera}) and, once its backlog has eased,
 * recorded in the chain as a {@code "type":"dropped"} line, so the gap is itself evidence. Write
 * errors (disk full, I/O error) are counted, logged and retried with a new segment; the records in
 * hand are counted as lost.
 *
 * <p>Retention deletes the oldest segments only after writing, for each, a {@code
 * "type":"retention"} line into the open segment (forced to disk first) naming every segment
 * deleted so far, their records, times and the last hash, so that {@link AuditVerifier} can check
 * the chain from the oldest segment kept and tell a deletion by retention from one by hand.
 *
 * <p>Lines are written by one Jackson {@link JsonGenerator} into a reused byte buffer, so every
 * string (a camera id, a label, a detail text with quotes, backslashes, newlines or any Unicode) is
 * escaped and a line stays one JSON object; the chain hash covers the line's UTF-8 bytes up to
 * {@code ,"hash"}, exactly as {@link AuditVerifier} recomputes them. All writing happens on the
 * {@code audit-writer} thread (and in {@link #close} after it has stopped).
 */
public final class AuditLog implements VerdictListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AuditLog.class.getName());
  static final String SEGMENT_PREFIX = "audit-";
  static final String SEGMENT_SUFFIX = ".jsonl";
  static final String ZERO_HASH = "0".repeat(64);
  private static final int BUFFER_BYTES = 256 * 1024;

  /** Admin requests queued for the writer at most (16 admin threads each wait for theirs). */
  private static final int ADMIN_QUEUE = 256;

  /** Refused admin requests written one by one at most in a burst, then one per interval. */
  public static final int REFUSALS_BURST = 10;

  public static final long REFUSAL_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

  /** A gap still growing under a sustained flood is recorded at least this often. */
  private static final long GAP_MAX_NS = TimeUnit.SECONDS.toNanos(1);

  /** No separator between root values: each line ends with its own newline. */
  private static final JsonFactory JSON =
      new JsonFactoryBuilder()
          .rootValueSeparator((String) null)
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .build();

  private final AuditConfig config;
  private final Path dir;
  private final LongSupplier epochMicros;
  private final RingBuffer<Entry> ring;
  private final EventPoller<Entry> poller;
  private final Thread thread;
  private final io.lineinspect.core.health.Stage stage =
      new io.lineinspect.core.health.Stage("audit-writer", 5_000);
  private final MessageDigest sha256;
  private final LineBytes line = new LineBytes();
  private JsonGenerator json;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
  private final LongAdder written = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder lost = new LongAdder();
  private final LongAdder writeErrors = new LongAdder();
  private final LongAdder warmUpFormatted = new LongAdder();
  private final LongAdder retentionDeleted = new LongAdder();
  private final AuditQuotas quotas;

  /** Admin requests to write, from the admin HTTP threads; never the line's (see adminAction). */
  private final java.util.concurrent.ArrayBlockingQueue<AdminAction> adminQueue =
      new java.util.concurrent.ArrayBlockingQueue<>(ADMIN_QUEUE);

  private final LongAdder adminLost = new LongAdder();

  /** Guarded by itself: the refusal budget and the refusals not written one by one. */
  private final RefusalBudget refusals = new RefusalBudget();

  /** Writer thread: the quotas of the entries of the poll in progress, released after it. */
  private final AuditQuotas.Quota[] releases;

  private int releaseCount;

  /** Writer thread: what retention deleted so far (null until known). */
  private AuditVerifier.Retention retained;

  private boolean retainedLookedUp;
  private volatile boolean running = true;
  private volatile boolean held;
  private volatile String lastError;
  private FileChannel channel;
  private Path segmentPath;
  private long segmentNumber;
  private long segmentBytes;
  private long segmentOpenedNs;
  private long segmentRecords;
  private long recordNumber;
  private String prevHash = ZERO_HASH;
  private long lastForceNs;
  private final long epochOffsetUs;
  private long bufferedRecords;

  /**
   * Told every chained line once it is written to the segment (the plant exporter), or null. Lines
   * waiting in {@link #buffer} are remembered by their end and the hash before them.
   */
  private final ChainListener chainListener;

  private String[] pendingPrev = new String[64];
  private int[] pendingEnd = new int[64];
  private int pendingLines;

  /**
   * Sees every line of the chain — records, reject outcomes, {@code open}, {@code close}, {@code
   * dropped} and {@code retention} lines — right after it was handed to the operating system, in
   * chain order: exactly what is on disk, so a copy elsewhere (the plant's Kafka) verifies against
   * the same hashes. Called on the {@code audit-writer} thread (or the closing thread after it
   * stopped): must copy what it keeps, never block and never throw (an exception is counted as a
   * write error of the listener and ignored).
   */
  @FunctionalInterface
  public interface ChainListener {
    /**
     * @param prevHash the chain hash of the line before (64 hex digits; zeros for the first line)
     * @param line the line's UTF-8 bytes, without its newline; valid during the call only
     */
    void onChained(String prevHash, byte[] line, int offset, int length);
  }

  /** The bytes of the line being written: reused, grown (rarely) for a long detail text. */
  private static final class LineBytes extends OutputStream {
    byte[] bytes = new byte[1024];
    int size;

    void reset() {
      size = 0;
    }

    @Override
    public void write(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, bytes, size, len);
      size += len;
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }
  }

  /** One verdict waiting to be written; copied from the reused view, no allocation. */
  private static final class Entry {
    String camera;
    long sequence;
    long captureUs;
    long receivedNs;
    long preprocessStartNs;
    long preprocessedNs;
    long inferStartNs;
    long inferEndNs;
    long emittedNs;
    Verdict verdict;
    ReasonCode reason;
    float score;
    String label;
    String detail;
    ModelInfo model;

    /** Set for the outcome of a reject (then the verdict fields are unused). */
    String output;

    String outcome;
    long atUs;

    /** A warm-up verdict: formatted and hashed like a record, never written or chained. */
    boolean warmUp;

    /** The slot this entry takes in its camera's share, given back once written. */
    AuditQuotas.Quota quota;
  }

  /**
   * Opens (creating) the directory and a new segment, continuing the chain of the last segment
   * found there.
   *
   * @throws IOException when the directory cannot be created or written
   */
  public AuditLog(AuditConfig config, Path dir, LongSupplier epochMicros) throws IOException {
    this(config, dir, epochMicros, null);
  }

  /**
   * As {@link #AuditLog(AuditConfig, Path, LongSupplier)}, telling {@code chainListener} every line
   * of the chain once written, from the first (this start's {@code open} line) on.
   */
  public AuditLog(
      AuditConfig config, Path dir, LongSupplier epochMicros, ChainListener chainListener)
      throws IOException {
    this.chainListener = chainListener;
    this.config = config;
    this.dir = dir;
    this.epochMicros = epochMicros;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.json = JSON.createGenerator(line);
    Files.createDirectories(dir);
    continueChain();
    this.ring =
        RingBuffer.createMultiProducer(Entry::new, config.queueSize(), new YieldingWaitStrategy());
    this.quotas = new AuditQuotas(config.queueSize());
    this.releases = new AuditQuotas.Quota[config.queueSize()];
    this.poller = ring.newPoller();
    ring.addGatingSequences(poller.getSequence());
    epochOffsetUs = epochMicros.getAsLong() - System.nanoTime() / 1_000;
    openSegment();
    thread = new Thread(this::run, "audit-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Picks up numbering and the chain from the newest segment in the directory, if any. */
  private void continueChain() throws IOException {
    List<Path> segments = AuditVerifier.segments(dir);
    if (segments.isEmpty()) {
      return;
    }
    Path last = segments.get(segments.size() - 1);
    segmentNumber = AuditVerifier.segmentNumber(last);
    AuditVerifier.Tail tail = AuditVerifier.tail(last);
    prevHash = tail.lastHash();
    recordNumber = tail.lastRecord();
    if (tail.torn()) {
      LOG.log(
          Level.WARNING,
          "audit: {0} ends with a torn record (the service stopped within the fsync window); the"
              + " chain continues from the last whole record",
          last.getFileName());
    }
  }

  @Override
  public void onVerdict(VerdictView v) {
    enqueue(v, false);
  }

  /**
   * A warm-start verdict goes through the writer's whole formatting and hashing path (so the first
   * real record meets compiled code) and is then discarded: nothing is written, the chain and the
   * record numbers do not move.
   */
  @Override
  public void onWarmUpVerdict(VerdictView v) {
    enqueue(v, true);
  }

  /**
   * Which camera ids get shares (and drop counters) of their own: the named ones at once, others as
   * first seen, the rest together as {@link io.lineinspect.core.metrics.CameraSeries#OTHER}. The
   * same series as the pipeline's metrics, so that labels agree. Set at wiring time, before the
   * first verdict (default: {@link io.lineinspect.core.metrics.CameraSeries#defaults()}).
   */
  public void limitCameras(io.lineinspect.core.metrics.CameraSeries series) {
    quotas.limitCameras(series);
  }

  /** Warm-up verdicts formatted and discarded so far. */
  public long warmUpRecordsFormatted() {
    return warmUpFormatted.sum();
  }

  /**
   * Takes a ring slot for a record of {@code q} within its share, or counts the record as dropped
   * and returns -1. Never waits.
   */
  private long claim(AuditQuotas.Quota q) {
    if (!quotas.admit(q)) {
      drop(q);
      return -1;
    }
    try {
      return ring.tryNext();
    } catch (InsufficientCapacityException e) {
      quotas.release(q);
      drop(q);
      return -1;
    }
  }

  private void drop(AuditQuotas.Quota q) {
    if (q != quotas.warmUp) {
      dropped.increment();
      quotas.dropped(q, System.nanoTime() / 1_000 + epochOffsetUs);
    }
  }

  private void enqueue(VerdictView v, boolean warmUp) {
    AuditQuotas.Quota q = warmUp ? quotas.warmUp : quotas.quota(v.cameraId());
    long seq = claim(q);
    if (seq < 0) {
      return;
    }
    try {
      Entry e = ring.get(seq);
      e.quota = q;
      e.camera = v.cameraId();
      e.sequence = v.sequence();
      e.captureUs = v.captureTimeUs();
      e.receivedNs = v.receivedNs();
      e.preprocessStartNs = v.preprocessStartNs();
      e.preprocessedNs = v.preprocessedNs();
      e.inferStartNs = v.inferStartNs();
      e.inferEndNs = v.inferEndNs();
      e.emittedNs = v.emittedNs();
      e.verdict = v.verdict();
      e.reason = v.reason();
      e.score = v.score();
      e.label = v.label();
      e.detail = v.detail();
      e.model = v.model();
      e.output = null;
      e.outcome = null;
      e.warmUp = warmUp;
    } finally {
      ring.publish(seq);
    }
  }

  /**
   * Records what became of a part's reject ({@code DELIVERED}, or why it was missed), from any
   * thread. It counts against the camera's share like its verdicts (a flood's FAIL verdicts each
   * bring one outcome per output); over that share it is dropped, counted and recorded as a gap.
   */
  public void rejectOutcome(String output, String cameraId, long sequence, String outcome) {
    AuditQuotas.Quota q = quotas.quota(cameraId);
    long seq = claim(q);
    if (seq < 0) {
      return;
    }
    try {
      Entry e = ring.get(seq);
      e.quota = q;
      e.camera = cameraId;
      e.sequence = sequence;
      e.output = output;
      e.outcome = outcome;
      e.warmUp = false;
      e.atUs = epochMicros.getAsLong();
      e.model = null;
      e.detail = null;
    } finally {
      ring.publish(seq);
    }
  }

  private void run() {
    stage.started();
    // A handler that threw would leave the poller before the failing entry and retry it forever
    // (the audit would stop): the entry is counted as lost and the writer moves on.
    EventPoller.Handler<Entry> handler =
        (e, s, end) -> {
          // The ring slot comes free when the poll ends, so the share's slot is given back then.
          releases[releaseCount++] = e.quota;
          e.quota = null;
          try {
            return append(e);
          } catch (Throwable t) {
            lost.increment();
            stage.error("record of " + e.camera + "#" + e.sequence + " lost: " + t, t);
            restartLine();
            return true;
          }
        };
    while (running || poller.getSequence().get() < ring.getCursor()) {
      stage.beat();
      if (held && running) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        continue;
      }
      try {
        EventPoller.PollState state;
        try {
          state = poller.poll(handler);
        } finally {
          releasePolled();
        }
        flushBuffer();
        recordGaps(false);
        recordAdmin(false);
        maybeRotateOrForce();
        if (state != EventPoller.PollState.PROCESSING) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      } catch (Exception e) {
        failed(e);
      } catch (Throwable t) {
        stage.error(t);
      }
    }
    stage.stopped();
  }

  private void releasePolled() {
    for (int i = 0; i < releaseCount; i++) {
      if (releases[i] != null) {
        quotas.release(releases[i]);
        releases[i] = null;
      }
    }
    releaseCount = 0;
  }

  /**
   * Writes a {@code "type":"dropped"} line for every camera whose drops are not yet in the chain,
   * once its backlog has eased to half its share (the flood's pressure ended), at least every
   * second while it lasts, and for all at {@code all} (closing).
   */
  private void recordGaps(boolean all) {
    if (channel == null) {
      return; // the disk is failing: the counters keep the drops until a segment is open again
    }
    long now = System.nanoTime();
    int share = quotas.share();
    for (AuditQuotas.Quota q : quotas.cameras()) {
      recordGap(q, all, now, share);
    }
    recordGap(quotas.cameraless, all, now, share);
  }

  private void recordGap(AuditQuotas.Quota q, boolean all, long now, int share) {
    long total = q.dropped.sum();
    long n = total - q.recorded;
    if (n == 0) {
      return;
    }
    if (q.seenNs == 0) {
      q.seenNs = now;
      LOG.log(
          Level.WARNING,
          "audit: dropping records of camera {0}: it holds its share of the audit queue while"
              + " others need theirs; the gap will be recorded in the chain",
          q.camera);
    }
    if (!all && q.queued.get() > share / 2 && now - q.seenNs < GAP_MAX_NS) {
      return;
    }
    long to = q.lastDropUs;
    long from = q.firstDropUs.getAndSet(0);
    if (from == 0 || from > to) {
      from = q.lastGapToUs > 0 ? Math.min(q.lastGapToUs, to) : to; // a drop raced the last gap
    }
    try {
      line.reset();
      json.writeStartObject();
      if (q.camera == null) {
        json.writeNullField("cam");
      } else {
        json.writeStringField("cam", q.camera);
      }
      json.writeNumberField("dropped", n);
      json.writeNumberField("fromUs", from);
      json.writeNumberField("toUs", to);
      appendHashed("dropped");
    } catch (IOException impossible) {
      throw new IllegalStateException(impossible); // LineBytes never throws
    }
    q.recorded = total;
    q.seenNs = 0;
    q.lastGapToUs = to;
    LOG.log(
        Level.WARNING,
        "audit: {0} records of camera {1} dropped between {2} and {3} (its share of the audit"
            + " queue was full); recorded in the chain",
        String.valueOf(n),
        q.camera,
        AuditVerifier.instant(from),
        AuditVerifier.instant(to));
  }

  /**
   * One request to the admin endpoint that changed something or was refused, for the chain as a
   * {@code "type":"admin"} line (format: {@code docs/operations.md#admin-actions}).
   *
   * @param role who (the role its credential proved), or null when it proved none
   * @param remote the client's address
   * @param params what it asked for (a model's name and version), in order; never a credential
   * @param status the HTTP status answered: 401 or 403 = refused
   * @param outcome the result in one word ({@code ACTIVATED}, {@code REFUSED}, {@code
   *     UNAUTHENTICATED}, {@code FORBIDDEN}, …)
   * @param atUs when the request arrived (epoch µs)
   * @param doneUs when it was answered (epoch µs)
   */
  public record AdminAction(
      String role,
      String remote,
      String method,
      String path,
      java.util.Map<String, String> params,
      int status,
      String outcome,
      long atUs,
      long doneUs) {
    /** Whether the request was refused for its credential (401) or its role (403). */
    public boolean refused() {
      return status == 401 || status == 403;
    }
  }

  /** The refusal budget: a token bucket, and what it kept out of the chain since its last line. */
  private static final class RefusalBudget {
    double tokens = REFUSALS_BURST;
    long refilledNs = System.nanoTime();
    long unrecorded;
    long fromUs;
    long toUs;

    /** Takes one token if there is one. Hold the monitor. */
    boolean take(long nowNs) {
      tokens =
          Math.min(REFUSALS_BURST, tokens + (double) (nowNs - refilledNs) / REFUSAL_INTERVAL_NS);
      refilledNs = nowNs;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }

  /**
   * Records an admin request, from any thread but the line's (an admin HTTP thread; it may wait up
   * to a second for room). Accepted requests are always written. Refused ones (401, 403) are
   * written one by one up to {@link #REFUSALS_BURST} in a burst, then one per {@link
   * #REFUSAL_INTERVAL_NS}; the others are counted and written as one {@code "type":"admin-refused"}
   * line when the budget allows again (or at close), so a flood of wrong tokens costs the chain a
   * line per ten seconds, not one per request, and still leaves its count.
   */
  public void adminAction(AdminAction a) {
    if (a.refused()) {
      synchronized (refusals) {
        if (refusals.unrecorded > 0 || !refusals.take(System.nanoTime())) {
          if (refusals.unrecorded++ == 0) {
            refusals.fromUs = a.atUs();
          }
          refusals.toUs = a.atUs();
          return;
        }
      }
    }
    try {
      if (!running || !adminQueue.offer(a, 1, TimeUnit.SECONDS)) {
        adminLost.increment();
        LOG.log(
            Level.WARNING,
            "audit: admin request {0} {1} not recorded (the audit writer is stopped or stalled)",
            a.method(),
            a.path());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      adminLost.increment();
    }
  }

  /** Admin requests that could not be recorded (the writer stopped or stalled). */
  public long adminLost() {
    return adminLost.sum();
  }

  /** Refused admin requests counted but not yet written into the chain. */
  public long adminRefusalsUnrecorded() {
    synchronized (refusals) {
      return refusals.unrecorded;
    }
  }

  /** Writes the queued admin requests, then the count of refusals kept out, when allowed. */
  private void recordAdmin(boolean all) throws IOException {
    if (channel == null) {
      return; // the disk is failing: kept queued until a segment is open again
    }
    for (AdminAction a; (a = adminQueue.poll()) != null; ) {
      line.reset();
      json.writeStartObject();
      if (a.role() == null) {
        json.writeNullField("role");
      } else {
        json.writeStringField("role", a.role());
      }
      json.writeStringField("remote", a.remote());
      json.writeStringField("method", a.method());
      json.writeStringField("path", a.path());
      json.writeObjectFieldStart("params");
      for (java.util.Map.Entry<String, String> p : a.params().entrySet()) {
        json.writeStringField(p.getKey(), p.getValue());
      }
      json.writeEndObject();
      json.writeNumberField("status", a.status());
      json.writeStringField("outcome", a.outcome());
      json.writeNumberField("atUs", a.atUs());
      json.writeNumberField("doneUs", a.doneUs());
      appendHashed("admin");
    }
    long n;
    long from;
    long to;
    synchronized (refusals) {
      if (refusals.unrecorded == 0 || !(all || refusals.take(System.nanoTime()))) {
        return;
      }
      n = refusals.unrecorded;
      from = refusals.fromUs;
      to = refusals.toUs;
      refusals.unrecorded = 0;
    }
    line.reset();
    json.writeStartObject();
    json.writeNumberField("refused", n);
    json.writeNumberField("fromUs", from);
    json.writeNumberField("toUs", to);
    appendHashed("admin-refused");
    LOG.log(
        Level.WARNING,
        "audit: {0} refused admin request(s) between {1} and {2} recorded as one count (more than"
            + " the chain takes one by one)",
        String.valueOf(n),
        AuditVerifier.instant(from),
        AuditVerifier.instant(to));
  }

  /**
   * Tests: the writer stands still (as behind a stalled disk) while {@code hold}, so that the queue
   * fills deterministically; it drains again when released, or when closing.
   */
  void holdWriter(boolean hold) {
    held = hold;
  }

  /** After a record failed half-way: a new generator, outside any object, on an empty line. */
  private void restartLine() {
    line.reset();
    try {
      json = JSON.createGenerator(line);
    } catch (IOException impossible) {
      throw new IllegalStateException(impossible); // LineBytes never throws
    }
  }

  /** The writer thread's health (heartbeat, errors). */
  public io.lineinspect.core.health.Stage stage() {
    return stage;
  }

  private boolean append(Entry e) throws IOException {
    boolean dry = e.warmUp;
    long n = dry ? recordNumber + 1 : ++recordNumber;
    line.reset();
    json.writeStartObject();
    json.writeNumberField("n", n);
    json.writeStringField("cam", e.camera);
    json.writeNumberField("frame", e.sequence);
    if (e.outcome != null) {
      json.writeStringField("actuator", e.output);
      json.writeStringField("outcome", e.outcome);
      json.writeNumberField("atUs", e.atUs);
      appendHashed("reject");
      rotateIfFull();
      return true;
    }
    json.writeNumberField("captureUs", e.captureUs);
    json.writeNumberField("receivedUs", e.receivedNs / 1_000 + epochOffsetUs);
    json.writeStringField("verdict", e.verdict.name());
    json.writeStringField("reason", e.reason.name());
    json.writeFieldName("score");
    if (Float.isNaN(e.score)) {
      json.writeNull();
    } else {
      json.writeNumber(Math.round(e.score * 10_000) / 10_000.0);
    }
    json.writeStringField("label", e.label == null ? "" : e.label);
    if (e.model == null) {
      json.writeNullField("model");
      json.writeNullField("version");
      json.writeNullField("sha256");
    } else {
      json.writeStringField("model", e.model.name());
      json.writeStringField("version", e.model.version());
      json.writeStringField("sha256", e.model.sha256());
    }
    json.writeNumberField("latencyUs", (e.emittedNs - e.receivedNs) / 1_000);
    json.writeObjectFieldStart("stagesUs");
    stage("queue", e.receivedNs, e.preprocessStartNs);
    stage("preprocess", e.preprocessStartNs, e.preprocessedNs);
    stage("batchWait", e.preprocessedNs, e.inferStartNs);
    stage("inference", e.inferStartNs, e.inferEndNs);
    stage("emit", e.inferEndNs, e.emittedNs);
    json.writeEndObject();
    if (e.detail != null) {
      json.writeStringField("detail", e.detail);
    }
    e.model = null; // do not pin a replaced model from the ring
    e.detail = null;
    if (dry) {
      finishLine("record");
      warmUpFormatted.increment();
      return true;
    }
    appendHashed("record");
    rotateIfFull();
    return true;
  }

  /** Rotates by size after any record, not only between batches (a batch can be thousands). */
  private void rotateIfFull() {
    if (channel == null || segmentBytes + buffer.position() < config.segmentMaxBytes()) {
      return;
    }
    try {
      flushBuffer();
      if (channel != null) {
        closeSegment();
        openSegment();
        enforceRetention();
      }
    } catch (IOException ex) {
      failed(ex);
    }
  }

  private void stage(String name, long from, long to) throws IOException {
    json.writeFieldName(name);
    if (from == 0 || to == 0) {
      json.writeNull();
    } else {
      json.writeNumber((to - from) / 1_000);
    }
  }

  /**
   * Ends the object open in {@link #json} with its type and the chain hash, and buffers the line.
   */
  private void appendHashed(String kind) throws IOException {
    String before = prevHash;
    prevHash = finishLine(kind);
    if (line.size > buffer.remaining()) {
      flushBuffer();
    }
    if (line.size > buffer.remaining()) {
      if (writeDirect(line.bytes, line.size)) {
        tellChained(before, line.bytes, 0, line.size - 1);
      }
    } else {
      buffer.put(line.bytes, 0, line.size);
      if (chainListener != null) {
        if (pendingLines == pendingEnd.length) {
          pendingEnd = Arrays.copyOf(pendingEnd, pendingLines * 2);
          pendingPrev = Arrays.copyOf(pendingPrev, pendingLines * 2);
        }
        pendingPrev[pendingLines] = before;
        pendingEnd[pendingLines++] = buffer.position();
      }
      if (kind.equals("record") || kind.equals("reject")) {
        bufferedRecords++;
      }
    }
    segmentRecords++;
  }

  /**
   * Ends the object open in {@link #json} with its type and the chain hash (from the current chain
   * end) into {@link #line}; returns that hash. Nothing is buffered.
   */
  private String finishLine(String kind) throws IOException {
    json.writeStringField("type", kind);
    json.flush();
    String hash = chain(prevHash, line.bytes, line.size);
    json.writeStringField("hash", hash);
    json.writeEndObject();
    json.writeRaw('\n');
    json.flush();
    return hash;
  }

  /** The chain hash of one line: SHA-256 over the previous hash and the line's UTF-8 content. */
  private String chain(String prev, byte[] content, int length) {
    sha256.reset();
    sha256.update(prev.getBytes(StandardCharsets.US_ASCII));
    sha256.update(content, 0, length);
    return hex(sha256.digest());
  }

  static String hex(byte[] bytes) {
    StringBuilder b = new StringBuilder(bytes.length * 2);
    for (byte x : bytes) {
      b.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
    }
    return b.toString();
  }

  private boolean writeDirect(byte[] bytes, int length) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes, 0, length);
      while (b.hasRemaining()) {
        channel.write(b);
      }
      segmentBytes += length;
      written.increment(); // only records are ever this long
      return true;
    } catch (IOException e) {
      lost.increment();
      failed(e);
      return false;
    }
  }

  /** The lines of {@link #buffer} just written, to the chain listener. */
  private void tellPending() {
    int start = 0;
    for (int i = 0; i < pendingLines; i++) {
      int end = pendingEnd[i];
      tellChained(pendingPrev[i], buffer.array(), start, end - start - 1);
      pendingPrev[i] = null;
      start = end;
    }
    pendingLines = 0;
  }

  private void tellChained(String prev, byte[] bytes, int offset, int length) {
    if (chainListener == null) {
      return;
    }
    try {
      chainListener.onChained(prev, bytes, offset, length);
    } catch (RuntimeException e) {
      writeErrors.increment();
      LOG.log(Level.WARNING, "audit: the chain listener failed: {0}", e.toString());
    }
  }

  private void flushBuffer() {
    if (buffer.position() == 0) {
      return;
    }
    buffer.flip();
    int bytes = buffer.remaining();
    try {
      if (channel == null) {
        throw new IOException("no open segment");
      }
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      segmentBytes += bytes;
      written.add(bufferedRecords);
      tellPending();
      if ("always".equals(config.fsync())) {
        channel.force(false);
      }
      stage.recovered();
    } catch (IOException e) {
      lost.add(bufferedRecords);
      failed(e);
    } finally {
      buffer.clear();
      bufferedRecords = 0;
      for (int i = 0; i < pendingLines; i++) {
        pendingPrev[i] = null; // not written: lost with the buffer, never told
      }
      pendingLines = 0;
    }
  }

  private void maybeRotateOrForce() throws IOException {
    long now = System.nanoTime();
    if (channel == null) {
      if (now - lastForceNs > TimeUnit.SECONDS.toNanos(1)) {
        lastForceNs = now;
        openSegment(); // retry after a failure
      }
      return;
    }
    if (now - segmentOpenedNs >= TimeUnit.SECONDS.toNanos(config.segmentMaxSeconds())) {
      closeSegment();
      openSegment();
      enforceRetention();
    } else if ("interval".equals(config.fsync())
        && now - lastForceNs >= TimeUnit.MILLISECONDS.toNanos(config.fsyncIntervalMs())) {
      channel.force(false);
      lastForceNs = now;
    }
  }

  private void openSegment() throws IOException {
    segmentNumber++;
    segmentPath =
        dir.resolve(
            String.format(Locale.ROOT, "%s%010d%s", SEGMENT_PREFIX, segmentNumber, SEGMENT_SUFFIX));
    channel =
        FileChannel.open(segmentPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    segmentBytes = 0;
    segmentRecords = 0;
    segmentOpenedNs = System.nanoTime();
    lastForceNs = segmentOpenedNs;
    line.reset();
    json.writeStartObject();
    json.writeNumberField("segment", segmentNumber);
    json.writeNumberField("openedUs", epochMicros.getAsLong());
    json.writeNumberField("firstRecord", recordNumber + 1);
    appendHashed("open");
    flushBuffer();
  }

  private void closeSegment() throws IOException {
    line.reset();
    json.writeStartObject();
    json.writeNumberField("segment", segmentNumber);
    json.writeNumberField("closedUs", epochMicros.getAsLong());
    json.writeNumberField("lastRecord", recordNumber);
    appendHashed("close");
    flushBuffer();
    channel.force(true);
    channel.close();
    channel = null;
  }

  /**
   * Deletes the oldest closed segments beyond {@code retainMaxBytes}; before each deletion, a
   * {@code "type":"retention"} line naming it (and every segment deleted before) is written into
   * the open segment and forced to disk. A segment whose line could not be written is kept.
   */
  private void enforceRetention() {
    try {
      List<Path> segments = AuditVerifier.segments(dir);
      long total = 0;
      for (Path p : segments) {
        total += Files.size(p);
      }
      for (int i = 0; i < segments.size() - 1 && total > config.retainMaxBytes(); i++) {
        Path victim = segments.get(i);
        long size = Files.size(victim);
        AuditVerifier.SegmentEnds ends = AuditVerifier.ends(victim);
        if (!recordRetention(segments, ends)) {
          return;
        }
        Files.delete(victim);
        retentionDeleted.increment();
        total -= size;
        LOG.log(
            Level.INFO,
            "audit: retention removed {0} (records {1}-{2}), recorded in {3}",
            victim.getFileName(),
            String.valueOf(ends.firstRecord()),
            String.valueOf(ends.lastRecord()),
            segmentPath.getFileName());
      }
    } catch (IOException e) {
      failed(e);
    }
  }

  /** Writes and forces the retention line for deleting {@code victim}; false when it failed. */
  private boolean recordRetention(List<Path> segments, AuditVerifier.SegmentEnds victim)
      throws IOException {
    if (!retainedLookedUp) {
      retained = AuditVerifier.latestRetention(segments);
      retainedLookedUp = true;
    }
    long now = epochMicros.getAsLong();
    // Cumulative only while the deletions are contiguous: a segment missing before this one that
    // retention did not delete stays unnamed, and the verifier fails on it.
    boolean continues = retained != null && retained.lastSegment() + 1 == victim.segment();
    AuditVerifier.Retention r =
        new AuditVerifier.Retention(
            continues ? retained.firstSegment() : victim.segment(),
            victim.segment(),
            continues ? retained.firstRecord() : victim.firstRecord(),
            victim.lastRecord(),
            continues ? retained.fromUs() : victim.openedUs(),
            victim.endUs(),
            victim.lastHash(),
            continues ? retained.firstAtUs() : now,
            now);
    if (channel == null) {
      return false;
    }
    line.reset();
    json.writeStartObject();
    json.writeNumberField("firstSegment", r.firstSegment());
    json.writeNumberField("lastSegment", r.lastSegment());
    json.writeNumberField("firstRecord", r.firstRecord());
    json.writeNumberField("lastRecord", r.lastRecord());
    json.writeNumberField("fromUs", r.fromUs());
    json.writeNumberField("toUs", r.toUs());
    json.writeStringField("lastHash", r.lastHash());
    json.writeNumberField("firstAtUs", r.firstAtUs());
    json.writeNumberField("atUs", r.atUs());
    appendHashed("retention");
    flushBuffer();
    if (channel == null) {
      return false; // the write failed: keep the segment, the next rotation tries again
    }
    channel.force(false);
    retained = r;
    return true;
  }

  private void failed(Exception e) {
    writeErrors.increment();
    lastError = e.getMessage();
    stage.fail("audit records are being lost: " + e); // until a write succeeds again
    LOG.log(
        Level.ERROR,
        "AUDIT WRITE FAILED in {0}: {1}; records are counted as lost until the disk recovers",
        segmentPath,
        e.toString());
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // already failing
    }
    channel = null;
  }

  /** Records written to disk (handed to the OS; forced per the fsync policy). */
  public long written() {
    return written.sum();
  }

  /** Segments deleted by retention (each recorded in the chain first). */
  public long retentionDeleted() {
    return retentionDeleted.sum();
  }

  /**
   * Records dropped so far per camera (the metrics label: the id, or {@code other}; {@code ""} for
   * records without a camera), for {@code /metrics}. Allocates: for scrapes, not the line.
   */
  public java.util.Map<String, Long> droppedByCamera() {
    return quotas.droppedByCamera();
  }

  /** Verdicts not recorded because the queue was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** Records lost to write errors. */
  public long lost() {
    return lost.sum();
  }

  public long writeErrors() {
    return writeErrors.sum();
  }

  /** Verdicts waiting to be written. */
  public long backlog() {
    return ring.getCursor() - poller.getSequence().get();
  }

  public String lastError() {
    return lastError;
  }

  public Path dir() {
    return dir;
  }

  /** Writes what is queued, closes the segment (forced to disk) and stops. */
  @Override
  public void close() {
    stage.stopped();
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (channel != null) {
        recordGaps(true);
        recordAdmin(true);
        closeSegment();
      }
    } catch (IOException e) {
      failed(e);
    }
  }
}
