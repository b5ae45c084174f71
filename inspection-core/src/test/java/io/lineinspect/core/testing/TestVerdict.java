package io.lineinspect.core.testing;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;

/** A mutable {@link VerdictView} for feeding verdict listeners in tests. */
public final class TestVerdict implements VerdictView {
  public String cameraId = "cam-1";
  public long sequence;
  public long captureTimeUs;
  public long encoderCount;
  public boolean hasEncoderCount;
  public Verdict verdict = Verdict.PASS;
  public ReasonCode reason = ReasonCode.NONE;
  public float score = 0.1f;
  public ModelInfo model;
  public long receivedNs;
  public long emittedNs;

  /** The label, or null for "defect" / "good" by verdict. */
  public String label;

  /** The fail-safe detail text, or null. */
  public String detail;

  /** The frame's image, or null for a verdict without one. */
  public byte[] image;

  public int imageWidth;
  public int imageHeight;
  public io.lineinspect.core.frame.PixelFormat imageFormat;

  /** Gives the verdict a raw image of {@code width × height} pixels (allocated once). */
  private boolean warmUp;

  /** Marks this verdict as a warm-up verdict (the service's dry run before cameras). */
  public TestVerdict warmUp(boolean on) {
    this.warmUp = on;
    return this;
  }

  @Override
  public boolean warmUp() {
    return warmUp;
  }

  public TestVerdict withImage(int width, int height, io.lineinspect.core.frame.PixelFormat f) {
    this.image = new byte[width * height * f.bytesPerPixel()];
    this.imageWidth = width;
    this.imageHeight = height;
    this.imageFormat = f;
    return this;
  }

  @Override
  public byte[] payload() {
    return image;
  }

  @Override
  public int payloadLength() {
    return image == null ? 0 : image.length;
  }

  @Override
  public int width() {
    return imageWidth;
  }

  @Override
  public int height() {
    return imageHeight;
  }

  @Override
  public io.lineinspect.core.frame.PixelFormat format() {
    return imageFormat;
  }

  /** Sets the fields that vary from part to part. */
  public TestVerdict part(
      String cameraId, long sequence, Verdict verdict, long captureTimeUs, long receivedNs) {
    this.cameraId = cameraId;
    this.sequence = sequence;
    this.verdict = verdict;
    this.score = verdict == Verdict.FAIL ? 0.9f : 0.1f;
    this.captureTimeUs = captureTimeUs;
    this.receivedNs = receivedNs;
    this.emittedNs = receivedNs;
    return this;
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
    if (label != null) {
      return label;
    }
    return verdict == Verdict.FAIL ? "defect" : "good";
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
