package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.ModelInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One ring entry: a received frame, its pixels, its model input and its verdict. Entries are
 * preallocated when the ring is built and reused forever (cleared, never recreated), so the ingest
 * and batching path allocates nothing per frame. The payload and input buffers grow to the largest
 * frame seen and then stay.
 *
 * <p>Ownership follows the ring sequence: the ingest thread that claimed the slot writes the frame,
 * then preprocess worker {@code sequence % n}, then the inference thread; each stage only touches
 * an entry after the previous stage has released it through the Disruptor barrier.
 */
public final class FrameEvent implements VerdictView {
  /** {@link #emitState} once the verdict has been delivered (or the entry is idle). */
  private static final long EMITTED = -1;

  /** {@link #emitState} while the deadline watchdog is delivering the fail-safe verdict. */
  private static final long WATCHDOG = -2;

  private static final VarHandle EMIT_STATE;

  static {
    try {
      EMIT_STATE = MethodHandles.lookup().findVarHandle(FrameEvent.class, "emitState", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Who may still emit this entry's verdict: its ring sequence while nobody has claimed it, then
   * {@link #EMITTED} or {@link #WATCHDOG}. Claimed by compare-and-set, so exactly one of the
   * pipeline and the watchdog delivers a verdict, and a recycled entry can never be claimed with a
   * stale sequence.
   */
  @SuppressWarnings("unused") // accessed through EMIT_STATE
  private volatile long emitState = EMITTED;

  private long ringSequence = -1;
  private FrameSource source;
  private long arrival;
  private long sequence;
  private long captureTimeUs;
  private long encoderCount;
  private boolean hasEncoderCount;
  private int width;
  private int height;
  private PixelFormat format;
  private byte[] payload;
  private int payloadLength;
  private long receivedNs;
  private long deadlineNs;

  private float[] input = new float[0];

  private long preprocessStartNs;
  private long preprocessedNs;
  private long inferStartNs;
  private long inferEndNs;
  private long emittedNs;

  private ReasonCode reason;
  private String detail;
  private Verdict verdict;
  private float score;
  private String label;
  private ModelInfo model;
  private boolean scored;
  private boolean peerNotified;

  FrameEvent(int initialPayloadBytes) {
    payload = new byte[initialPayloadBytes];
    clear();
  }

  /** Resets every per-frame field; buffers are kept. Called by the ingest thread before writing. */
  public void clear() {
    source = null;
    arrival = 0;
    sequence = 0;
    captureTimeUs = 0;
    encoderCount = 0;
    hasEncoderCount = false;
    width = 0;
    height = 0;
    format = null;
    payloadLength = 0;
    receivedNs = 0;
    deadlineNs = 0;
    preprocessStartNs = 0;
    preprocessedNs = 0;
    inferStartNs = 0;
    inferEndNs = 0;
    emittedNs = 0;
    reason = ReasonCode.NONE;
    detail = null;
    verdict = null;
    score = Float.NaN;
    label = "";
    model = null;
    scored = false;
    peerNotified = false;
  }

  /** Ingest: identity and geometry of the frame. */
  public void setFrame(
      long sequence,
      long captureTimeUs,
      boolean hasEncoderCount,
      long encoderCount,
      int width,
      int height,
      PixelFormat format,
      long receivedNs) {
    this.sequence = sequence;
    this.captureTimeUs = captureTimeUs;
    this.hasEncoderCount = hasEncoderCount;
    this.encoderCount = encoderCount;
    this.width = width;
    this.height = height;
    this.format = format;
    this.receivedNs = receivedNs;
  }

  /**
   * Pipeline: where the frame came from and when it must be judged by; then arms the entry for
   * emission under ring sequence {@code ringSequence}. The volatile write of the state comes last,
   * so a thread that reads the armed state sees every field written before it.
   */
  void bind(FrameSource source, long arrival, long deadlineNs, long ringSequence) {
    this.source = source;
    this.arrival = arrival;
    this.deadlineNs = deadlineNs;
    this.ringSequence = ringSequence;
    EMIT_STATE.setVolatile(this, ringSequence);
  }

  /** A free-standing entry for backend warm-up: never published, never emitted. */
  public static FrameEvent forWarmUp(int inputFloats) {
    FrameEvent e = new FrameEvent(0);
    e.input(inputFloats);
    return e;
  }

  /**
   * A free-standing entry for judging an image outside the line (golden set, shadow model): never
   * published, never emitted; reused by its owner with {@link #clear()}.
   */
  public static FrameEvent standalone() {
    return new FrameEvent(0);
  }

  /** True while nobody has claimed this entry's verdict. */
  public boolean pending() {
    return (long) EMIT_STATE.getVolatile(this) == ringSequence;
  }

  /** True when the verdict is already decided or claimed: no inference is needed. */
  public boolean settled() {
    return reason != ReasonCode.NONE || !pending();
  }

  /** Inference thread: claims the verdict; false when the watchdog already did. */
  boolean claimForPipeline() {
    return EMIT_STATE.compareAndSet(this, ringSequence, EMITTED);
  }

  /**
   * Watchdog: claims the verdict of the entry published as {@code sequence}; false when it was
   * emitted already or the entry now holds another frame.
   */
  boolean claimForWatchdog(long sequence) {
    return EMIT_STATE.compareAndSet(this, sequence, WATCHDOG);
  }

  /** Watchdog: its verdict has been delivered; the entry may be released. */
  void watchdogDone() {
    EMIT_STATE.setVolatile(this, EMITTED);
  }

  /** Inference thread: waits until the watchdog has finished with this entry (microseconds). */
  void awaitWatchdog() {
    while ((long) EMIT_STATE.getVolatile(this) == WATCHDOG) {
      Thread.onSpinWait();
    }
  }

  /** The state as last read, for the watchdog's scan (see {@link #claimForWatchdog}). */
  long emitState() {
    return (long) EMIT_STATE.getVolatile(this);
  }

  /**
   * Ingest: a buffer of at least {@code length} bytes to copy the payload into. Grows (allocates)
   * only when a frame is larger than any before it.
   */
  public byte[] payloadBuffer(int length) {
    if (payload.length < length) {
      payload = new byte[Math.max(length, payload.length + (payload.length >> 1))];
    }
    payloadLength = length;
    return payload;
  }

  /** Ingest: the frame was accepted on the wire but cannot be judged (fails safe BAD_IMAGE). */
  public void rejectBadImage(String detail) {
    this.reason = ReasonCode.BAD_IMAGE;
    this.detail = detail;
  }

  /**
   * Ingest: the camera was already told why this frame is bad (an adapter-specific error message),
   * so emission need not repeat it.
   */
  public void markPeerNotified() {
    this.peerNotified = true;
  }

  @Override
  public boolean peerNotified() {
    return peerNotified;
  }

  /** Any stage before emission: the frame fails safe for {@code reason}. */
  public void failSafe(ReasonCode reason, String detail) {
    this.reason = reason;
    this.detail = detail;
  }

  /** Preprocess: a model-input buffer of at least {@code floats} elements, owned by this entry. */
  public float[] input(int floats) {
    if (input.length < floats) {
      input = new float[floats];
    }
    return input;
  }

  /** The model-input buffer as last sized by {@link #input(int)}. */
  public float[] input() {
    return input;
  }

  /** Inference: the model's defect score (0..1) and label for this frame. */
  public void setResult(float score, String label) {
    this.score = score;
    this.label = label == null ? "" : label;
    this.scored = true;
  }

  public void setModel(ModelInfo model) {
    this.model = model;
  }

  public void setVerdict(Verdict verdict) {
    this.verdict = verdict;
  }

  public void setPreprocessStartNs(long ns) {
    this.preprocessStartNs = ns;
  }

  public void setPreprocessedNs(long ns) {
    this.preprocessedNs = ns;
  }

  public void setInferNs(long startNs, long endNs) {
    this.inferStartNs = startNs;
    this.inferEndNs = endNs;
  }

  public void setEmittedNs(long ns) {
    this.emittedNs = ns;
  }

  public FrameSource source() {
    return source;
  }

  @Override
  public boolean warmUp() {
    FrameSource s = source;
    return s != null && s.warmUp();
  }

  public long arrival() {
    return arrival;
  }

  @Override
  public int width() {
    return width;
  }

  @Override
  public int height() {
    return height;
  }

  @Override
  public PixelFormat format() {
    return format;
  }

  @Override
  public byte[] payload() {
    return payload;
  }

  @Override
  public int payloadLength() {
    return payloadLength;
  }

  public long deadlineNs() {
    return deadlineNs;
  }

  @Override
  public long preprocessStartNs() {
    return preprocessStartNs;
  }

  @Override
  public long preprocessedNs() {
    return preprocessedNs;
  }

  @Override
  public long inferStartNs() {
    return inferStartNs;
  }

  @Override
  public long inferEndNs() {
    return inferEndNs;
  }

  /** True once the backend produced a score for this frame. */
  public boolean scored() {
    return scored;
  }

  @Override
  public String cameraId() {
    return source == null ? "" : source.cameraId();
  }

  @Override
  public long sequence() {
    return sequence;
  }

  @Override
  public long captureTimeUs() {
    return captureTimeUs;
  }

  @Override
  public long encoderCount() {
    return encoderCount;
  }

  @Override
  public boolean hasEncoderCount() {
    return hasEncoderCount;
  }

  @Override
  public Verdict verdict() {
    return verdict;
  }

  @Override
  public ReasonCode reason() {
    return reason;
  }

  @Override
  public float score() {
    return score;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public ModelInfo model() {
    return model;
  }

  @Override
  public long receivedNs() {
    return receivedNs;
  }

  @Override
  public long emittedNs() {
    return emittedNs;
  }

  @Override
  public String detail() {
    return detail;
  }
}
