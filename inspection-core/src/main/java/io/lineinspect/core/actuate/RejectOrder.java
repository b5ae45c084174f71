package io.lineinspect.core.actuate;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;

/**
 * One verdict on its way to the actuator outputs, with the time its reject is due. Instances are
 * preallocated and reused by the {@link RejectScheduler}: an output that keeps anything beyond the
 * call (an asynchronous completion, say) must copy it first.
 */
public final class RejectOrder {
  private String cameraId;
  private long sequence;
  private long captureTimeUs;
  private long encoderCount;
  private boolean hasEncoderCount;
  private Verdict verdict;
  private ReasonCode reason;
  private float score;
  private ModelInfo model;
  private long receivedNs;
  private long fireAtNs;
  private long fireAtEpochUs;
  private boolean timedFromCapture;

  /**
   * A warm-up verdict's dry run: scheduled and handed to {@link ActuatorOutput#dryRun}, never
   * fired.
   */
  private boolean warmUp;

  void copyFrom(VerdictView v) {
    cameraId = v.cameraId();
    sequence = v.sequence();
    captureTimeUs = v.captureTimeUs();
    encoderCount = v.encoderCount();
    hasEncoderCount = v.hasEncoderCount();
    verdict = v.verdict();
    reason = v.reason();
    score = v.score();
    model = v.model();
    receivedNs = v.receivedNs();
    fireAtNs = 0;
    fireAtEpochUs = 0;
    timedFromCapture = false;
    warmUp = v.warmUp();
  }

  void copyFrom(RejectOrder o) {
    cameraId = o.cameraId;
    sequence = o.sequence;
    captureTimeUs = o.captureTimeUs;
    encoderCount = o.encoderCount;
    hasEncoderCount = o.hasEncoderCount;
    verdict = o.verdict;
    reason = o.reason;
    score = o.score;
    model = o.model;
    receivedNs = o.receivedNs;
    fireAtNs = o.fireAtNs;
    fireAtEpochUs = o.fireAtEpochUs;
    timedFromCapture = o.timedFromCapture;
    warmUp = o.warmUp;
  }

  void schedule(long fireAtNs, long fireAtEpochUs, boolean timedFromCapture) {
    this.fireAtNs = fireAtNs;
    this.fireAtEpochUs = fireAtEpochUs;
    this.timedFromCapture = timedFromCapture;
  }

  /** Sets every field; for tests and adapters that build orders outside the scheduler. */
  public RejectOrder set(
      String cameraId,
      long sequence,
      Verdict verdict,
      ReasonCode reason,
      float score,
      long captureTimeUs,
      long fireAtEpochUs) {
    this.cameraId = cameraId;
    this.sequence = sequence;
    this.verdict = verdict;
    this.reason = reason;
    this.score = score;
    this.captureTimeUs = captureTimeUs;
    this.fireAtEpochUs = fireAtEpochUs;
    this.hasEncoderCount = false;
    this.encoderCount = 0;
    this.model = null;
    return this;
  }

  public String cameraId() {
    return cameraId;
  }

  public long sequence() {
    return sequence;
  }

  /** Capture time the camera put in the frame (epoch µs, camera clock; 0 = unknown). */
  public long captureTimeUs() {
    return captureTimeUs;
  }

  public long encoderCount() {
    return encoderCount;
  }

  public boolean hasEncoderCount() {
    return hasEncoderCount;
  }

  public Verdict verdict() {
    return verdict;
  }

  public boolean isReject() {
    return verdict == Verdict.FAIL;
  }

  public ReasonCode reason() {
    return reason;
  }

  /** Defect score 0..1, NaN when the model did not score the part. */
  public float score() {
    return score;
  }

  /** The model that judged the part, or null (fail-safe verdicts). */
  public ModelInfo model() {
    return model;
  }

  /** Service monotonic time at frame receipt. */
  public long receivedNs() {
    return receivedNs;
  }

  /** Service monotonic time at which the reject is due (the part reaches the gate). */
  public long fireAtNs() {
    return fireAtNs;
  }

  /** The same moment on the service's wall clock, epoch µs (for PLCs, gateways and logs). */
  public long fireAtEpochUs() {
    return fireAtEpochUs;
  }

  /** True when timed from the camera's capture time, false when from receipt. */
  public boolean timedFromCapture() {
    return timedFromCapture;
  }

  /** {@code camera#sequence}, the part's identity in logs. */
  public String partId() {
    return cameraId + "#" + sequence;
  }

  /** True for a warm-up verdict's dry run (never fired, never counted). */
  public boolean warmUp() {
    return warmUp;
  }
}
