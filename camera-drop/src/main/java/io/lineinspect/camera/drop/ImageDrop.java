package io.lineinspect.camera.drop;

import io.lineinspect.core.frame.EncodedImageHeader;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.pipeline.FrameTranslator;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.time.NanoClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Smart cameras that push images as files: each camera's directory {@code <drop.dir>/<id>/} is a
 * hot folder (a local writer) or the camera's home on the embedded SFTP server ({@link SftpDrop}).
 * Each complete image is published to the pipeline like a protocol v1 FRAME from that camera (its
 * own {@link DropSource}), so the budget, fail-safe, audit, actuators and archive treat it exactly
 * like a frame; its verdict is written back as a result sidecar {@code <image>.result.json}
 * (atomically: written under a temporary name, then renamed), and the image is removed once its
 * result is on disk. Formats, names and rules: {@code docs/drop.md}.
 *
 * <p>Never a silent pass: a file whose content cannot be judged (unreadable, empty, too large, not
 * a complete JPEG/PNG of a supported variant) still gets its fail-safe verdict (BAD_IMAGE),
 * recorded like any other; an upload that did not end with the camera closing the file (connection
 * lost, quota refused) is never judged and is removed; a file whose name carries no part identity
 * is not a part: it is moved to {@code rejected/} and counted.
 *
 * <p>Threads: {@code drop-ingest} owns every publish (the sources' single ingest thread), the hot
 * folder polling and the quota measurement; {@code drop-results} writes the sidecars; the SFTP
 * server's threads only {@link #submit} finished uploads. Lifecycle: {@link #start()} once after
 * the pipeline started, {@link #close()} once before it closes.
 */
public final class ImageDrop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ImageDrop.class.getName());

  /** The part identity in a file name: the last run of digits before the extension. */
  static final Pattern IMAGE =
      Pattern.compile("(?:.*[^0-9])?([0-9]{1,19})\\.(jpg|jpeg|png)", Pattern.CASE_INSENSITIVE);

  static final String RESULT_SUFFIX = ".result.json";
  static final String REJECTED_DIR = "rejected";
  private static final long QUOTA_SCAN_NS = TimeUnit.SECONDS.toNanos(1);

  private final DropConfig config;
  private final Path root;
  private final Path home;
  private final InspectionPipeline pipeline;
  private final NanoClock clock;
  private final ThreadFactory threads;
  private final Map<String, DropSource> sources = new LinkedHashMap<>();
  // The same sources, immutable: iterated by the camera server's periodic recount.
  private final List<DropSource> recounted;
  private final Map<String, Path> dirs = new LinkedHashMap<>();
  private final LinkedBlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<DropResult> results = new LinkedBlockingQueue<>();
  private final Set<Path> taken = ConcurrentHashMap.newKeySet();
  private final Map<Path, Seen> seen = new HashMap<>(); // drop-ingest only
  private final EncodedImageHeader header;
  private final Translator translator = new Translator();
  private final AtomicLong usedBytes = new AtomicLong();
  private final AtomicLong writtenSinceScan = new AtomicLong();
  private final ErrorLog errors = new ErrorLog(LOG, "image drop");

  private final AtomicLong images = new AtomicLong();
  private final AtomicLong badFiles = new AtomicLong();
  private final AtomicLong partialUploads = new AtomicLong();
  private final AtomicLong unrecognised = new AtomicLong();
  private final AtomicLong quotaRefusals = new AtomicLong();
  private final AtomicLong resultsWritten = new AtomicLong();
  private final AtomicLong resultErrors = new AtomicLong();
  private final AtomicLong leftovers = new AtomicLong();
  private final AtomicLong publishLagNsTotal = new AtomicLong();
  private final AtomicLong publishLagNsMax = new AtomicLong();

  private volatile boolean running;
  private volatile boolean overQuota;
  private Thread ingest;
  private Thread writer;
  private SftpDrop sftp;
  private int sftpPort = -1;

  /**
   * @param home the install directory that relative paths in {@code config} resolve against
   * @param maxImagePixels {@code ingest.maxImagePixels}: the same pixel limit as the camera port
   */
  public ImageDrop(
      DropConfig config,
      Path home,
      long maxImagePixels,
      InspectionPipeline pipeline,
      NanoClock clock,
      ThreadFactory threads) {
    this.config = config;
    this.home = home;
    this.root = home.resolve(config.dir()).toAbsolutePath().normalize();
    this.pipeline = pipeline;
    this.clock = clock;
    this.threads = threads;
    this.header = new EncodedImageHeader(maxImagePixels);
    for (String id : config.cameras().keySet()) {
      sources.put(id, new DropSource(id, results::add));
      dirs.put(id, root.resolve(id));
    }
    recounted = List.copyOf(sources.values());
  }

  /** Creates the directories, starts the threads and (when configured) the SFTP server. */
  public synchronized void start() throws IOException {
    for (Map.Entry<String, Path> e : dirs.entrySet()) {
      try {
        Files.createDirectories(e.getValue());
      } catch (IOException ex) {
        throw new IOException(
            "drop.dir: cannot create " + e.getValue() + " for camera " + e.getKey() + ": " + ex,
            ex);
      }
    }
    setAsideLeftovers();
    scanUsage();
    pipeline.addRecountedSources(recounted); // the camera server's recount counts them too
    running = true;
    writer = threads.newThread(this::writeResults);
    writer.setName("drop-results");
    writer.start();
    ingest = threads.newThread(this::ingestLoop);
    ingest.setName("drop-ingest");
    ingest.start();
    Map<String, SftpDrop.Camera> users = new LinkedHashMap<>();
    config
        .cameras()
        .forEach(
            (id, c) -> {
              if (c.isSftp()) {
                users.put(c.userFor(id), new SftpDrop.Camera(id, dirs.get(id), c));
              }
            });
    if (!users.isEmpty()) {
      sftp = new SftpDrop(config.sftp(), home, users, this, clock);
      try {
        sftpPort = sftp.start();
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }
    LOG.log(
        Level.INFO,
        "image drop in {0}: {1} camera(s){2}",
        root,
        dirs.size(),
        sftp == null ? "" : ", SFTP on " + config.sftp().host() + ":" + sftpPort);
  }

  /** The SFTP server's port (-1 when it does not run). */
  public int sftpPort() {
    return sftpPort;
  }

  /** The drop directory of {@code cameraId}. */
  public Path directory(String cameraId) {
    return dirs.get(cameraId);
  }

  // ---- counters
  // ----------------------------------------------------------------------------------

  /** Images published to the pipeline (each gets exactly one verdict and one result file). */
  public long images() {
    return images.get();
  }

  /** Images published as BAD_IMAGE found by the drop itself (unreadable, empty, too large, …). */
  public long badFiles() {
    return badFiles.get();
  }

  /** Uploads that did not end with the camera closing the file: removed, never judged. */
  public long partialUploads() {
    return partialUploads.get();
  }

  /** Files whose name carries no part identity, moved to {@code rejected/}. */
  public long unrecognisedFiles() {
    return unrecognised.get();
  }

  /** SFTP writes refused because the drop directory was at its quota. */
  public long quotaRefusals() {
    return quotaRefusals.get();
  }

  public long resultsWritten() {
    return resultsWritten.get();
  }

  /** Result files that could not be written (the verdict still reached audit and actuators). */
  public long resultErrors() {
    return resultErrors.get();
  }

  /**
   * Mean time from an image's receipt (the upload closed or renamed, or the hot-folder file taken)
   * to its publish into the ring, nanoseconds: reading the file and its header. Counts against the
   * budget like the time a FRAME takes to arrive.
   */
  public long meanPublishLagNs() {
    long n = images.get();
    return n == 0 ? 0 : publishLagNsTotal.get() / n;
  }

  /** Longest time from receipt to publish, nanoseconds. */
  public long maxPublishLagNs() {
    return publishLagNsMax.get();
  }

  /** Bytes under the drop directory (measured every second, plus SFTP writes since). */
  public long usedBytes() {
    return usedBytes.get() + writtenSinceScan.get();
  }

  // ---- from the SFTP server ---------------------------------------------------------------------

  /** Any thread: {@code file} of {@code cameraId} is complete (closed or renamed into place). */
  void submit(String cameraId, Path file, long receivedNs) {
    arrivals.add(new Arrival(cameraId, file, receivedNs));
  }

  /** Any thread: whether {@code bytes} more would pass the quota; counts a refusal when so. */
  boolean refuseForQuota(long bytes) {
    if (usedBytes() + bytes > config.maxBytes()) {
      quotaRefusals.incrementAndGet();
      return true;
    }
    return false;
  }

  void onWritten(long bytes) {
    writtenSinceScan.addAndGet(bytes);
  }

  void onPartialUpload(String cameraId, Path file, String why) {
    long n = partialUploads.incrementAndGet();
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      errors.error("cannot remove the partial upload " + file + ": " + e, e);
    }
    if (ErrorLog.shouldLog(n)) {
      LOG.log(
          Level.WARNING,
          "camera {0}: partial upload {1} removed, not judged: {2} ({3} so far)",
          cameraId,
          file.getFileName(),
          why,
          n);
    }
  }

  /** Names that are never judged: temporary upload names and result files. */
  static boolean isTemporary(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith(".")
        || n.endsWith(".part")
        || n.endsWith(".tmp")
        || n.endsWith(".filepart")
        || n.endsWith(RESULT_SUFFIX);
  }

  // ---- drop-ingest
  // ---------------------------------------------------------------------------------

  private void ingestLoop() {
    long nextPoll = clock.nanoTime();
    long nextScan = nextPoll + QUOTA_SCAN_NS;
    long pollNs = TimeUnit.MILLISECONDS.toNanos(config.pollMs());
    while (running) {
      try {
        Arrival a = arrivals.poll(config.pollMs(), TimeUnit.MILLISECONDS);
        while (a != null) {
          take(a.cameraId, a.file, a.receivedNs);
          a = arrivals.poll();
        }
        long now = clock.nanoTime();
        if (now - nextPoll >= 0) {
          pollFolders(now);
          nextPoll = now + pollNs;
        }
        if (now - nextScan >= 0) {
          scanUsage();
          nextScan = now + QUOTA_SCAN_NS;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | Error e) {
        errors.error("drop-ingest: " + e, e);
      }
    }
  }

  private void pollFolders(long now) {
    long settleNs = TimeUnit.MILLISECONDS.toNanos(config.settleMs());
    for (Map.Entry<String, DropCameraConfig> e : config.cameras().entrySet()) {
      if (e.getValue().isSftp()) {
        continue; // uploads are taken when the camera closes or renames them, not by polling
      }
      String id = e.getKey();
      Path dir = dirs.get(id);
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          String name = f.getFileName().toString();
          if (isTemporary(name) || taken.contains(f)) {
            continue;
          }
          BasicFileAttributes attrs;
          try {
            attrs = Files.readAttributes(f, BasicFileAttributes.class);
          } catch (IOException gone) {
            continue; // renamed or removed meanwhile
          }
          if (!attrs.isRegularFile()) {
            continue;
          }
          long size = attrs.size();
          long mtime = attrs.lastModifiedTime().toMillis();
          Seen s = seen.get(f);
          if (s == null || s.size != size || s.mtimeMs != mtime) {
            seen.put(f, new Seen(size, mtime, now));
            if (settleNs > 0) {
              continue;
            }
          } else if (now - s.sinceNs < settleNs) {
            continue;
          }
          seen.remove(f);
          take(id, f, clock.nanoTime());
        }
      } catch (IOException | UncheckedIOException ex) {
        errors.error("cannot list the hot folder of camera " + id + " (" + dir + "): " + ex, ex);
      }
    }
    if (seen.size() > 10_000) {
      seen.clear(); // files that vanished before settling; re-learnt on the next poll
    }
  }

  /** Publishes one complete file of {@code cameraId}: the same path as a FRAME on the port. */
  private void take(String cameraId, Path file, long receivedNs) {
    DropSource source = sources.get(cameraId);
    String name = file.getFileName().toString();
    Matcher m = IMAGE.matcher(name);
    if (source == null || !m.matches()) {
      reject(
          cameraId,
          file,
          "its name has no part identity (<name>-<sequence>.jpg|jpeg|png)",
          unrecognised.incrementAndGet());
      return;
    }
    if (!taken.add(file)) {
      return; // already in flight
    }
    long sequence = Long.parseUnsignedLong(m.group(1));
    PixelFormat format = m.group(2).equalsIgnoreCase("png") ? PixelFormat.PNG : PixelFormat.JPEG;
    String problem = null;
    byte[] bytes = new byte[0];
    int width = 1;
    int height = 1;
    try {
      long size = Files.size(file);
      if (size > config.maxFileBytes()) {
        problem = "file of " + size + " bytes is above drop.maxFileBytes " + config.maxFileBytes();
      } else {
        bytes = Files.readAllBytes(file);
        if (bytes.length == 0) {
          problem = "empty " + format + " file";
        }
      }
    } catch (IOException e) {
      problem = "cannot read " + name + ": " + e.getMessage();
    }
    if (problem == null) {
      // The payload's own header gives the size (a file has no frame header to compare with).
      String p = header.check(format, bytes, 0, bytes.length, 1, 1);
      if (p != null) {
        p = header.check(format, bytes, 0, bytes.length, header.width(), header.height());
        if (p == null) {
          width = header.width();
          height = header.height();
        }
      }
      problem = p;
    }
    if (problem != null) {
      long n = badFiles.incrementAndGet();
      if (ErrorLog.shouldLog(n)) {
        LOG.log(
            Level.WARNING,
            "camera {0} file {1}: BAD_IMAGE, fail-safe verdict: {2} ({3} bad files so far)",
            cameraId,
            name,
            problem,
            n);
      }
    }
    translator.set(sequence, receivedNs, width, height, format, bytes, problem);
    images.incrementAndGet();
    source.expect(file);
    pipeline.publish(source, translator);
    translator.clear();
    long lag = clock.nanoTime() - receivedNs;
    publishLagNsTotal.addAndGet(lag);
    publishLagNsMax.accumulateAndGet(lag, Math::max);
  }

  /**
   * Start-up: an image left in an SFTP camera's directory without its result was uploaded before
   * the service stopped, maybe only in part (a crash mid-upload leaves no trace of being partial).
   * It is not judged: moved to {@code rejected/}, counted, logged; that part has no result file, so
   * the camera side treats it as not inspected. Hot-folder files are complete by their writer's
   * rename and are taken as usual.
   */
  private void setAsideLeftovers() throws IOException {
    for (Map.Entry<String, DropCameraConfig> e : config.cameras().entrySet()) {
      if (!e.getValue().isSftp()) {
        continue;
      }
      Path dir = dirs.get(e.getKey());
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          String name = f.getFileName().toString();
          if (Files.isRegularFile(f) && !isTemporary(name)) {
            reject(
                e.getKey(),
                f,
                "left over from before the service started: maybe partial",
                leftovers.incrementAndGet());
          } else if (Files.isRegularFile(f) && name.startsWith(".") && name.endsWith(".tmp")) {
            Files.deleteIfExists(f); // a result file interrupted before its rename
          }
        }
      }
    }
  }

  /** SFTP uploads found at start-up without a result and set aside (see {@link #start()}). */
  public long leftoverFiles() {
    return leftovers.get();
  }

  private void reject(String cameraId, Path file, String why, long n) {
    Path dir = file.getParent().resolve(REJECTED_DIR);
    try {
      Files.createDirectories(dir);
      Files.move(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      errors.error("cannot move " + file + " to " + dir + ": " + e, e);
    }
    if (ErrorLog.shouldLog(n)) {
      LOG.log(
          Level.WARNING,
          "camera {0}: {1} is not a part, moved to {2}/: {3} ({4} so far)",
          cameraId,
          file.getFileName(),
          REJECTED_DIR,
          why,
          n);
    }
  }

  private void scanUsage() {
    long total = 0;
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile()) {
            total += a.size();
          }
        } catch (IOException gone) {
          // removed meanwhile
        }
      }
    } catch (IOException | UncheckedIOException e) {
      errors.error("cannot measure the drop directory " + root + ": " + e, e);
      return;
    }
    usedBytes.set(total);
    writtenSinceScan.set(0);
    boolean over = total > config.maxBytes();
    if (over != overQuota) {
      overQuota = over;
      LOG.log(
          over ? Level.WARNING : Level.INFO,
          over
              ? "image drop {0} holds {1} bytes, above drop.maxBytes {2}: SFTP uploads are refused"
              : "image drop {0} back under drop.maxBytes ({1} of {2} bytes)",
          root,
          total,
          config.maxBytes());
    }
  }

  // ---- drop-results
  // ---------------------------------------------------------------------------------

  private void writeResults() {
    while (true) {
      DropResult r;
      try {
        r = results.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (r == null) {
        if (!running) {
          return;
        }
        continue;
      }
      writeResult(r);
    }
  }

  private void writeResult(DropResult r) {
    Path image = r.image();
    String name = image.getFileName().toString();
    Path dir = image.getParent();
    Path tmp = dir.resolve("." + name + RESULT_SUFFIX + ".tmp");
    Path target = dir.resolve(name + RESULT_SUFFIX);
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(r.json().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.deleteIfExists(image);
      taken.remove(image);
      resultsWritten.incrementAndGet();
    } catch (IOException | RuntimeException e) {
      // The verdict already reached the audit trail and the actuators; the image stays in place
      // (and is not taken again) so the part can be traced.
      resultErrors.incrementAndGet();
      errors.error("cannot write the result of " + image + ": " + e, e);
    }
  }

  // ---- closing
  // ----------------------------------------------------------------------------------------

  /**
   * Stops taking files (the SFTP server first), waits up to {@code drainMs} for the verdicts of the
   * images in flight and writes their results, then stops. Call before the pipeline closes.
   */
  public synchronized void close(long drainMs) {
    pipeline.removeRecountedSources(recounted);
    if (sftp != null) {
      sftp.close();
      sftp = null;
    }
    Thread i = ingest;
    running = false;
    if (i != null) {
      i.interrupt();
      join(i);
    }
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMs);
    while (System.nanoTime() - until < 0
        && !sources.values().stream().allMatch(s -> s.allVerdictsWritten())) {
      sleep();
    }
    while (System.nanoTime() - until < 0 && !results.isEmpty()) {
      sleep();
    }
    Thread w = writer;
    if (w != null) {
      join(w);
    }
    ingest = null;
    writer = null;
  }

  @Override
  public void close() {
    close(pipeline.budgetNs() / 1_000_000 + 2_000);
  }

  private static void join(Thread t) {
    try {
      t.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Arrival(String cameraId, Path file, long receivedNs) {}

  private record Seen(long size, long mtimeMs, long sinceNs) {}

  /** The file being published, read by {@code writeTo} inside {@code pipeline.publish}. */
  private static final class Translator implements FrameTranslator {
    private long sequence;
    private long receivedNs;
    private int width;
    private int height;
    private PixelFormat format;
    private byte[] bytes;
    private String problem;

    void set(
        long sequence,
        long receivedNs,
        int width,
        int height,
        PixelFormat format,
        byte[] bytes,
        String problem) {
      this.sequence = sequence;
      this.receivedNs = receivedNs;
      this.width = width;
      this.height = height;
      this.format = format;
      this.bytes = bytes;
      this.problem = problem;
    }

    void clear() {
      bytes = null;
      problem = null;
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
      return 0; // a file carries no capture time the service could trust
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
    public String badImageDetail() {
      return problem;
    }

    @Override
    public void writeTo(FrameEvent event) {
      event.setFrame(sequence, 0, false, 0, width, height, format, receivedNs);
      if (problem != null) {
        event.rejectBadImage(problem);
        return;
      }
      System.arraycopy(bytes, 0, event.payloadBuffer(bytes.length), 0, bytes.length);
    }
  }
}
