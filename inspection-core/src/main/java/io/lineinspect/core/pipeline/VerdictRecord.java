package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;

/**
 * A mutable, reusable copy of a verdict: a parked verdict waiting for its predecessor, or a verdict
 * decided outside the ring (OVERLOAD at ingest, DEADLINE by the watchdog). Reused, never allocated
 * per frame in steady state.
 *
 * <p>Owned by whoever holds it; a {@link FrameSource}'s parked records are guarded by its monitor.
 */
final class VerdictRecord implements VerdictView {
  private String cameraId = "";
  private long sequence;
  private long captureTimeUs;
  private long encoderCount;
  private boolean hasEncoderCount;
  private Verdict verdict;
  private ReasonCode reason;
  private float score;
  private String label = "";
  private ModelInfo model;
  private long receivedNs;
  private long emittedNs;
  private String detail;
  private boolean peerNotified;
  private long preprocessStartNs;
  private long preprocessedNs;
  private long inferStartNs;
  private long inferEndNs;
  private boolean warmUp;

  VerdictRecord copyFrom(VerdictView v) {
    cameraId = v.cameraId();
    sequence = v.sequence();
    captureTimeUs = v.captureTimeUs();
    encoderCount = v.encoderCount();
    hasEncoderCount = v.hasEncoderCount();
    verdict = v.verdict();
    reason = v.reason();
    score = v.score();
    label = v.label();
    model = v.model();
    receivedNs = v.receivedNs();
    emittedNs = v.emittedNs();
    detail = v.detail();
    peerNotified = v.peerNotified();
    preprocessStartNs = v.preprocessStartNs();
    preprocessedNs = v.preprocessedNs();
    inferStartNs = v.inferStartNs();
    inferEndNs = v.inferEndNs();
    warmUp = v.warmUp();
    return this;
  }

  /** The peer was already told why this frame is bad (its ERROR went out on receipt). */
  VerdictRecord peerNotified(boolean notified) {
    this.peerNotified = notified;
    return this;
  }

  /** A fail-safe verdict for a frame that is known only by its identity. */
  VerdictRecord failSafe(
      String cameraId,
      long sequence,
      long captureTimeUs,
      boolean hasEncoderCount,
      long encoderCount,
      long receivedNs,
      Verdict verdict,
      ReasonCode reason,
      String detail,
      long emittedNs) {
    this.cameraId = cameraId;
    this.sequence = sequence;
    this.captureTimeUs = captureTimeUs;
    this.hasEncoderCount = hasEncoderCount;
    this.encoderCount = encoderCount;
    this.receivedNs = receivedNs;
    this.verdict = verdict;
    this.reason = reason;
    this.score = Float.NaN;
    this.label = "";
    this.model = null;
    this.detail = detail;
    this.peerNotified = false;
    this.emittedNs = emittedNs;
    this.preprocessStartNs = 0;
    this.preprocessedNs = 0;
    this.inferStartNs = 0;
    this.inferEndNs = 0;
    this.warmUp = false;
    return this;
  }

  /** Marks this record as a warm-up verdict (see {@link VerdictView#warmUp()}). */
  VerdictRecord warmUp(boolean warm) {
    this.warmUp = warm;
    return this;
  }

  /**
   * The stages a frame got through before the watchdog decided it (0 = not reached): the audit then
   * shows where it was when its deadline came. Read without synchronisation from the stages' own
   * stamps, which is good enough for a diagnostic.
   */
  VerdictRecord stagesReached(
      long preprocessStartNs, long preprocessedNs, long inferStartNs, long inferEndNs) {
    this.preprocessStartNs = preprocessStartNs;
    this.preprocessedNs = preprocessedNs;
    this.inferStartNs = inferStartNs;
    this.inferEndNs = inferEndNs;
    return this;
  }

  void setEmittedNs(long ns) {
    emittedNs = ns;
  }

  /** Drops references so a parked slot does not pin strings or models. */
  void release() {
    label = "";
    model = null;
    detail = null;
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

  @Override
  public String cameraId() {
    return cameraId;
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

  @Override
  public boolean peerNotified() {
    return peerNotified;
  }

  @Override
  public boolean warmUp() {
    return warmUp;
  }
}
