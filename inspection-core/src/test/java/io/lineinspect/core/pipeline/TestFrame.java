package io.lineinspect.core.pipeline;

import io.lineinspect.core.frame.PixelFormat;

/**
 * A reusable translator for one test frame: by default a 1×1 MONO8 payload carrying the wanted
 * score, or any raw image set with {@link #image}.
 */
public final class TestFrame implements FrameTranslator {
  long sequence;
  long receivedNs;
  int scoreByte;
  String badImage;
  private boolean throwing;
  private byte[] image;
  private int width;
  private int height;
  private PixelFormat format;

  /** Sends this raw image instead of the 1-byte score payload. */
  public TestFrame image(byte[] pixels, int width, int height, PixelFormat format) {
    this.image = pixels;
    this.width = width;
    this.height = height;
    this.format = format;
    return this;
  }

  public TestFrame set(long sequence, long receivedNs, int scoreByte) {
    this.sequence = sequence;
    this.receivedNs = receivedNs;
    this.scoreByte = scoreByte;
    this.badImage = null;
    return this;
  }

  /** Makes {@link #writeTo} throw after a partial write, like a translator with a bug. */
  public TestFrame throwing(boolean on) {
    this.throwing = on;
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
    if (throwing) {
      event.setFrame(sequence, 0, false, 0, 1, 1, null, receivedNs);
      throw new IllegalStateException("translator bug after a partial write");
    }
    if (image != null) {
      event.setFrame(sequence, 0, false, 0, width, height, format, receivedNs);
      System.arraycopy(image, 0, event.payloadBuffer(image.length), 0, image.length);
      return;
    }
    event.setFrame(sequence, 0, false, 0, 1, 1, PixelFormat.MONO8, receivedNs);
    if (badImage != null) {
      event.rejectBadImage(badImage);
      return;
    }
    event.payloadBuffer(1)[0] = (byte) scoreByte;
  }
}
