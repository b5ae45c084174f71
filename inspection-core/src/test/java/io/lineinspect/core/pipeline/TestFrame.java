package io.lineinspect.core.pipeline;

import io.lineinspect.core.frame.PixelFormat;

/** A reusable translator for one test frame: 1-byte MONO8 payload carrying the wanted score. */
public final class TestFrame implements FrameTranslator {
  long sequence;
  long receivedNs;
  int scoreByte;
  String badImage;

  public TestFrame set(long sequence, long receivedNs, int scoreByte) {
    this.sequence = sequence;
    this.receivedNs = receivedNs;
    this.scoreByte = scoreByte;
    this.badImage = null;
    return this;
  }

  public TestFrame bad(String why) {
    this.badImage = why;
    return this;
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
    event.setFrame(sequence, 0, false, 0, 1, 1, PixelFormat.MONO8, receivedNs);
    if (badImage != null) {
      event.rejectBadImage(badImage);
      return;
    }
    event.payloadBuffer(1)[0] = (byte) scoreByte;
  }
}
