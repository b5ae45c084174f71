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
}
