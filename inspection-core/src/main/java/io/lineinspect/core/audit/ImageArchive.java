package io.lineinspect.core.audit;

import com.lmax.disruptor.EventTranslatorOneArg;
import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.HandOffRing;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Saves the image of every FAIL verdict (and every {@code passEvery}-th PASS frame) as {@code
 * <dir>/<camera>/<camera>_<frame>_<captureUs>.<png|jpg>}: the audit record of the same part has the
 * same camera, frame and capture time, so {@code inspect audit query} finds the image ({@link
 * #filesOf}). JPEG and PNG payloads are stored as received; raw MONO8/BGR8/RGB8 frames are written
 * as PNG. An image never replaces another: when that name is taken (another connection sent the
 * same camera, frame and capture time) it is saved as {@code
 * <camera>_<frame>_<captureUs>.<n>.<ext>} with the first free n from 2 on, and a camera id that
 * would name any directory but one directly under {@code <dir>} is refused.
 *
 * <p>Never blocks the pipeline: the payload is copied into one of {@code slots} (rounded up to a
 * power of two) preallocated buffers on a {@link HandOffRing} and written by the {@code
 * archive-writer} thread; when every slot is busy the image is skipped and counted. The oldest
 * images are deleted beyond {@code maxBytes}.
 */
public final class ImageArchive implements VerdictListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ImageArchive.class.getName());

  private final ArchiveConfig config;
  private final Path dir;
  private static final EventTranslatorOneArg<ImageCopy, VerdictView> COPY =
      (slot, sequence, v) -> {
        slot.clear(); // copyFrom sets the camera last: a copy that threw is found and skipped
        slot.copyFrom(v);
      };
  private static final EventTranslatorOneArg<ImageCopy, VerdictView> COPY_DRY_RUN =
      (slot, sequence, v) -> {
        slot.clear();
        slot.copyFrom(v);
        slot.markDryRun();
      };

  /**
   * Warm-up images the writer encodes into nothing ({@link ImageCopy#encodeDiscarding}): enough for
   * the JIT to compile the PNG encoder before the camera port opens.
   */
  static final int WARM_UP_IMAGES = 200;

  private final java.util.concurrent.atomic.AtomicInteger warmUpLeft =
      new java.util.concurrent.atomic.AtomicInteger(WARM_UP_IMAGES);

  private final HandOffRing<ImageCopy> slots;
  private final Consumer<ImageCopy> writer = this::save;
  private final ArrayDeque<Path> files = new ArrayDeque<>();
  private final Thread thread;
  private final io.lineinspect.core.health.Stage stage =
      new io.lineinspect.core.health.Stage("archive-writer", 10_000);

  /** The writer thread's health (heartbeat, errors). */
  public io.lineinspect.core.health.Stage stage() {
    return stage;
  }

  private final LongAdder saved = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder evicted = new LongAdder();
  private final LongAdder warmUpEncoded = new LongAdder();
  private volatile boolean running = true;
  private volatile SavedListener savedListener;

  /**
   * Told of every image saved (the plant exporter sends FAIL images by reference or inline), on the
   * {@code archive-writer} thread after the file is complete: must not block; an exception is
   * logged and ignored.
   */
  @FunctionalInterface
  public interface SavedListener {
    /**
     * @param fail whether the part got FAIL (else a sampled PASS)
     * @param file the saved file (it may be evicted later)
     */
    void onSaved(String camera, long frame, long captureUs, boolean fail, Path file);
  }

  /** Sets the one {@link SavedListener} (before the first verdict; null: none). */
  public void onSaved(SavedListener listener) {
    this.savedListener = listener;
  }

  private long totalBytes;

  public ImageArchive(ArchiveConfig config, Path dir) throws IOException {
    this.config = config;
    this.dir = dir;
    Files.createDirectories(dir);
    slots = new HandOffRing<>(ImageCopy::new, config.slots());
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile)
          .sorted(Comparator.comparingLong(ImageArchive::modified))
          .forEach(
              p -> {
                files.add(p);
                totalBytes += size(p);
              });
    }
    thread = new Thread(this::run, "archive-writer");
    thread.setDaemon(true);
    thread.start();
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Most images saved under one camera, frame and capture time; more are counted failed. */
  static final int MAX_SAME_IDENTITY = 100;

  /** The file the first image of this part is (or would be) saved as. */
  public static Path fileOf(Path dir, String camera, long frame, long captureUs, PixelFormat f) {
    return dir.resolve(camera).resolve(ImageCopy.fileName(camera, frame, captureUs, f));
  }

  /**
   * Every archived image of this camera, frame and capture time: the first one's file and the
   * {@code .<n>.} copies of later parts with the same identity, in the order they were saved.
   */
  public static java.util.List<Path> filesOf(Path dir, String camera, long frame, long captureUs)
      throws IOException {
    Path cameraDir;
    try {
      cameraDir = cameraDir(dir, camera);
    } catch (IOException noSuchCamera) {
      return java.util.List.of(); // never archived under such an id
    }
    if (!Files.isDirectory(cameraDir)) {
      return java.util.List.of();
    }
    java.util.regex.Pattern name =
        java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(camera + "_" + frame + "_" + captureUs)
                + "(?:\\.([1-9][0-9]{0,8}))?\\.(?:png|jpg)");
    try (Stream<Path> s = Files.list(cameraDir)) {
      return s.filter(p -> name.matcher(p.getFileName().toString()).matches())
          .sorted(
              Comparator.comparingInt(
                  (Path p) -> {
                    var m = name.matcher(p.getFileName().toString());
                    return m.matches() && m.group(1) != null ? Integer.parseInt(m.group(1)) : 1;
                  }))
          .toList();
    }
  }

  /**
   * {@code <dir>/<camera>}, defensively checked: a camera id that would resolve anywhere but
   * directly under {@code dir} ({@code ..}, a separator, an absolute path) is refused, whatever the
   * source of frames let through.
   */
  static Path cameraDir(Path dir, String camera) throws IOException {
    Path base = dir.toAbsolutePath().normalize();
    Path resolved = base.resolve(camera).normalize();
    if (camera.isEmpty() || !base.equals(resolved.getParent())) {
      throw new IOException("camera id '" + camera + "' would leave the archive directory");
    }
    return dir.resolve(camera);
  }

  @Override
  public void onVerdict(VerdictView v) {
    if (!config.keeps(v.verdict() == Verdict.FAIL, v.sequence())) {
      return;
    }
    if (!ImageCopy.hasImage(v)) {
      skipped.increment(); // decided outside the ring (watchdog, overload): no image at hand
      return;
    }
    if (!slots.offer(COPY, v)) {
      skipped.increment();
    }
  }

  /**
   * The warm start's dry run: the first {@value #WARM_UP_IMAGES} warm-up parts with an image are
   * encoded as a real one would be, and saved nowhere; nothing is counted.
   */
  @Override
  public void onWarmUpVerdict(VerdictView v) {
    if (warmUpLeft.get() > 0 && ImageCopy.hasImage(v) && slots.offer(COPY_DRY_RUN, v)) {
      warmUpLeft.decrementAndGet();
    }
  }

  /**
   * Waits (at most {@code timeoutMs}) until the writer has nothing in hand, so the warm start's dry
   * run does not encode beside the first real parts; returns whether it got there.
   */
  public boolean awaitIdle(long timeoutMs) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!slots.isEmpty()) {
      if (System.nanoTime() - until >= 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return true;
  }

  private void run() {
    stage.started();
    while (running || !slots.isEmpty()) {
      stage.beat();
      if (!slots.poll(writer)) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  /** Writes one slot (on the writer thread); the ring frees the slot when this returns. */
  private void save(ImageCopy s) {
    try {
      if (s.camera() == null) {
        throw new IllegalStateException("the image could not be copied");
      }
      if (s.dryRun()) {
        s.encodeDiscarding();
        warmUpEncoded.increment();
        return;
      }
      write(s);
    } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
      failed.increment();
      LOG.log(
          Level.WARNING,
          "archive: image of {0}#{1} not saved: {2}",
          s.camera(),
          s.frame(),
          e.toString());
    } finally {
      s.clear();
    }
  }

  private void write(ImageCopy s) throws IOException {
    Path cameraDir = cameraDir(dir, s.camera());
    Files.createDirectories(cameraDir);
    String first = ImageCopy.fileName(s.camera(), s.frame(), s.captureUs(), s.format());
    int dot = first.lastIndexOf('.');
    Path file = cameraDir.resolve(first);
    for (int n = 2; ; n++) {
      try {
        s.writeNewTo(file); // CREATE_NEW: never replaces an image already archived
        break;
      } catch (java.nio.file.FileAlreadyExistsException taken) {
        if (n > MAX_SAME_IDENTITY) {
          throw new IOException(
              MAX_SAME_IDENTITY + " images named " + first + " are archived already", taken);
        }
        file = cameraDir.resolve(first.substring(0, dot) + "." + n + first.substring(dot));
      }
    }
    files.add(file);
    totalBytes += size(file);
    saved.increment();
    SavedListener l = savedListener;
    if (l != null) {
      try {
        l.onSaved(s.camera(), s.frame(), s.captureUs(), s.fail(), file);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "archive: the saved-image listener failed: {0}", e.toString());
      }
    }
    while (totalBytes > config.maxBytes() && files.size() > 1) {
      Path old = files.poll();
      totalBytes -= size(old);
      Files.deleteIfExists(old);
      evicted.increment();
    }
  }

  public long saved() {
    return saved.sum();
  }

  public long skipped() {
    return skipped.sum();
  }

  public long failed() {
    return failed.sum();
  }

  /** Warm-up images encoded into nothing by the dry run (at most {@value #WARM_UP_IMAGES}). */
  public long warmUpEncoded() {
    return warmUpEncoded.sum();
  }

  public long evicted() {
    return evicted.sum();
  }

  public Path dir() {
    return dir;
  }

  /** Writes the images in hand, then stops. */
  @Override
  public void close() {
    stage.stopped();
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
