package io.lineinspect.core.audit;

import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A frame's image and identity copied out of a reused {@link VerdictView}, to be written to disk
 * later on another thread ({@link ImageArchive}, the shadow model). The buffer grows to the largest
 * frame seen and is then reused: a pool of these costs no allocation per frame.
 *
 * <p>Not thread-safe: owned by the thread that fills it until it is handed over through a queue,
 * then by the thread that takes it.
 */
public final class ImageCopy {
  /** One PNG encoder per writing thread (archive writer, shadow runner): buffers reused. */
  private static final ThreadLocal<PngEncoder> PNG = ThreadLocal.withInitial(PngEncoder::new);

  private byte[] bytes = new byte[0];
  private int length;
  private int width;
  private int height;
  private PixelFormat format;
  private String camera;
  private long frame;
  private long captureUs;
  private boolean dryRun;
  private boolean fail;

  /** Whether the view has an image to copy (verdicts decided outside the ring have none). */
  public static boolean hasImage(VerdictView v) {
    return v.payload() != null && v.format() != null && v.payloadLength() > 0;
  }

  /** Copies the image and identity of a view that {@link #hasImage has an image}. */
  public void copyFrom(VerdictView v) {
    int n = v.payloadLength();
    if (bytes.length < n) {
      bytes = new byte[n]; // grows to the largest frame, then reused
    }
    System.arraycopy(v.payload(), 0, bytes, 0, n);
    length = n;
    width = v.width();
    height = v.height();
    format = v.format();
    fail = v.verdict() == io.lineinspect.core.decide.Verdict.FAIL;
    frame = v.sequence();
    captureUs = v.captureTimeUs();
    camera = v.cameraId();
  }

  /** Forgets the identity (the buffer is kept for the next frame). */
  public void clear() {
    camera = null;
    length = 0;
    dryRun = false;
  }

  /**
   * Marks this copy as the warm start's: the writer encodes it into nothing ({@link
   * #encodeDiscarding}) and saves no file.
   */
  public void markDryRun() {
    dryRun = true;
  }

  /** Whether this copy is the warm start's ({@link #markDryRun}). */
  /** Whether the copied part got FAIL. */
  public boolean fail() {
    return fail;
  }

  public boolean dryRun() {
    return dryRun;
  }

  /**
   * Encodes the image exactly as {@link #writeTo} would, into a stream that discards it: the warm
   * start's dry run of the archive writer (the PNG encoder is otherwise compiled by the JIT beside
   * the line's first parts).
   */
  public void encodeDiscarding() throws IOException {
    if (format.isEncoded()) {
      OutputStream.nullOutputStream().write(bytes, 0, length);
      return;
    }
    PNG.get().write(bytes, length, width, height, format, OutputStream.nullOutputStream());
  }

  /** {@code <camera>_<frame>_<captureUs>.<png|jpg>}: the name this image is saved under. */
  public String fileName() {
    return fileName(camera, frame, captureUs, format);
  }

  /** {@code <camera>_<frame>_<captureUs>.<png|jpg>}: raw frames are saved as PNG. */
  public static String fileName(String camera, long frame, long captureUs, PixelFormat f) {
    String ext = f == PixelFormat.JPEG ? "jpg" : "png";
    return camera + "_" + frame + "_" + captureUs + "." + ext;
  }

  /** Writes the image to {@code file} (its directory must exist); see {@link #writeImage}. */
  public void writeTo(Path file) throws IOException {
    writeImage(file, bytes, length, width, height, format);
  }

  /**
   * As {@link #writeTo}, but never replaces a file.
   *
   * @throws java.nio.file.FileAlreadyExistsException when {@code file} exists (it is left as it is)
   */
  public void writeNewTo(Path file) throws IOException {
    writeImage(file, bytes, length, width, height, format, StandardOpenOption.CREATE_NEW);
  }

  /**
   * Writes {@code bytes[0..length)} to {@code file}: JPEG and PNG payloads as received, raw
   * MONO8/BGR8/RGB8 frames of {@code width × height} encoded as PNG. The file this call opened is
   * deleted again when the write fails, so no torn image is left behind.
   *
   * @param options how to open the file ({@link Files#newOutputStream}); none: create or replace
   * @throws IOException when the file cannot be written
   */
  public static void writeImage(
      Path file,
      byte[] bytes,
      int length,
      int width,
      int height,
      PixelFormat format,
      OpenOption... options)
      throws IOException {
    boolean created = false;
    try (OutputStream out = Files.newOutputStream(file, options)) {
      created = true;
      if (format.isEncoded()) {
        out.write(bytes, 0, length);
        return;
      }
      PNG.get().write(bytes, length, width, height, format, out);
    } catch (IOException | RuntimeException e) {
      if (created) {
        Files.deleteIfExists(file);
      }
      throw e;
    }
  }

  public byte[] bytes() {
    return bytes;
  }

  /** Valid bytes of {@link #bytes()}. */
  public int length() {
    return length;
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public PixelFormat format() {
    return format;
  }

  public String camera() {
    return camera;
  }

  public long frame() {
    return frame;
  }

  public long captureUs() {
    return captureUs;
  }
}
