package io.lineinspect.core.pipeline;

/**
 * Copies one received frame into a ring entry. Implemented by an ingest adapter (one reusable
 * instance per connection, owned by its I/O thread) so publishing allocates nothing.
 */
public interface FrameTranslator {
  /** Camera sequence number of the frame being published. */
  long sequence();

  /** Service monotonic time at which the frame was received. */
  long receivedNs();

  long captureTimeUs();

  boolean hasEncoderCount();

  long encoderCount();

  /**
   * Writes the frame into {@code event} (already cleared): {@link FrameEvent#setFrame} and the
   * payload bytes via {@link FrameEvent#payloadBuffer(int)}, or {@link
   * FrameEvent#rejectBadImage(String)} when the frame is well-framed but unusable.
   */
  void writeTo(FrameEvent event);

  /**
   * Why the frame cannot be judged, as found on receipt (the camera has already been sent the
   * ERROR), or null when nothing was found. A frame with a problem that is refused (OVERLOAD) still
   * gets reason BAD_IMAGE: bad content wins over load.
   */
  default String badImageDetail() {
    return null;
  }
}
