package io.lineinspect.core.emit;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.inference.ModelInfo;

/**
 * A read-only view of one verdict while it is being emitted. Views are reused (a ring entry, or a
 * source's holder for verdicts decided at ingest): a listener that keeps anything beyond the call
 * must copy it.
 */
public interface VerdictView {
  /** The camera that sent the frame. */
  String cameraId();

  /** The camera's sequence number of the frame. */
  long sequence();

  /** Capture time the camera put in the frame (epoch microseconds, camera clock; 0 = unknown). */
  long captureTimeUs();

  /** Encoder count the camera put in the frame, valid when {@link #hasEncoderCount()}. */
  long encoderCount();

  boolean hasEncoderCount();

  Verdict verdict();

  /** {@link ReasonCode#NONE} when the model judged the frame; otherwise why it failed safe. */
  ReasonCode reason();

  /** Defect score in 0..1, or NaN when the model did not score the frame. */
  float score();

  /** The model's label for the frame ("good", "defect", a class name), or "" when none. */
  String label();

  /** The model that judged the frame, or null when none did. */
  ModelInfo model();

  /** Service monotonic time at frame receipt. */
  long receivedNs();

  /** Service monotonic time at which the verdict was handed to the source. */
  long emittedNs();

  /** Human-readable detail for fail-safe verdicts (sent to the camera as an ERROR), or null. */
  String detail();

  /** Service monotonic time preprocessing of the frame started, 0 when it did not run. */
  default long preprocessStartNs() {
    return 0;
  }

  /** Service monotonic time preprocessing ended, 0 when it did not run. */
  default long preprocessedNs() {
    return 0;
  }

  /** Service monotonic time the frame's inference batch started, 0 when it did not run. */
  default long inferStartNs() {
    return 0;
  }

  /** Service monotonic time the frame's inference batch ended, 0 when it did not run. */
  default long inferEndNs() {
    return 0;
  }

  /**
   * The frame's payload as received (raw pixels or an encoded image), or null when the view has no
   * image at hand (verdicts decided outside the ring). Valid during the call only.
   */
  default byte[] payload() {
    return null;
  }

  /** Valid bytes of {@link #payload()}. */
  default int payloadLength() {
    return 0;
  }

  /** Frame width in pixels (0 when unknown). */
  default int width() {
    return 0;
  }

  /** Frame height in pixels (0 when unknown). */
  default int height() {
    return 0;
  }

  /** Pixel format of {@link #payload()}, or null when unknown. */
  default io.lineinspect.core.frame.PixelFormat format() {
    return null;
  }

  /** True when the ingest adapter already told the camera what was wrong with this frame. */
  default boolean peerNotified() {
    return false;
  }

  /**
   * True for a verdict of the service's own warm-up frames (synthetic parts driven through the
   * whole path before cameras are accepted): no part, no camera. Such verdicts reach listeners only
   * through {@link VerdictListener#onWarmUpVerdict}, never {@link VerdictListener#onVerdict}.
   */
  default boolean warmUp() {
    return false;
  }
}
