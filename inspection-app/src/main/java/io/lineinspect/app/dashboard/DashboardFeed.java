package io.lineinspect.app.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.lmax.disruptor.EventTranslatorOneArg;
import io.lineinspect.core.audit.ImageCopy;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.HandOffRing;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the operator dashboard shows, kept beside the line: a {@link VerdictListener} that copies
 * each verdict's few fields into a preallocated slot of a {@link HandOffRing} (no allocation, no
 * lock, never waits: a full ring counts the verdict as {@link #dropped}), and one {@code dashboard}
 * thread that folds the slots into the line's state and, every {@code snapshotMs}, renders one
 * snapshot as JSON bytes that every browser is sent as is. However many browsers watch, the line
 * does the same work: a slot copy per verdict, plus, only while a browser is connected, one image
 * copy per camera per snapshot for the "latest frame".
 *
 * <p>Threads: {@link #onVerdict} from the line's threads; the state is owned by the {@code
 * dashboard} thread, under {@link #lock} for the HTTP threads' few writes ({@link #resetShift},
 * acknowledgements); {@link #snapshot}, {@link #awaitSnapshot} and {@link #latestImage} from any
 * thread.
 */
public final class DashboardFeed implements VerdictListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(DashboardFeed.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Slots of the verdict ring: ten seconds of a 800 fps line between two polls to spare. */
  static final int SLOTS = 8192;

  /** Width of one NG-rate bucket of the trend (p-chart), in minutes. */
  public static final int TREND_MINUTES = 5;

  /** Score histogram bins over 0..1. */
  public static final int SCORE_BINS = 20;

  /**
   * Cameras shown at most (the first seen): a camera id is whatever a peer sends in its HELLO, so
   * the per-camera state is bounded; further cameras count in the shift, timing and trend only.
   */
  static final int MAX_CAMERAS = 64;

  /**
   * Slots for latest-frame copies: each grows to the largest frame and is kept (4 × a 1920×1200 BGR
   * frame = 28 MB of heap at most); when all are busy a copy is skipped.
   */
  static final int IMAGE_SLOTS = 4;

  /** Largest side of a latest-frame image sent to browsers (raw frames are scaled down). */
  static final int THUMB_SIDE = 480;

  private static final EventTranslatorOneArg<VerdictCopy, VerdictView> COPY =
      (slot, seq, v) -> slot.copyFrom(v);
  private static final EventTranslatorOneArg<ImageCopy, VerdictView> COPY_IMAGE =
      (slot, seq, v) -> {
        slot.clear();
        slot.copyFrom(v);
      };

  /** What the dashboard reads of the service at snapshot time (never on the line's threads). */
  public interface Sources {
    /** Camera ids connected now. */
    java.util.Set<String> connectedCameras();

    /** Everything else of the snapshot: rejects, alarms' inputs, model. */
    LineReadings readings();
  }

  /**
   * The service's own readings at one snapshot.
   *
   * @param rejectsDelivered rejects delivered since start
   * @param rejectsMissed missed rejects by cause since start
   * @param actuatorAlarms missed-reject alarms since start (the PLC's alarm coil)
   * @param lastActuatorAlarm the latest one's text, or null
   * @param outputsDown actuator outputs not connected now
   * @param healthProblems what {@code /health} reports now
   * @param drift the drift alarm is on
   * @param auditLoss audit records dropped or lost since start (and admin lines lost)
   * @param auditBacklog audit records waiting to be written
   * @param archiveEvicted archived images deleted for the quota since start
   * @param archiveSkipped images not archived since start (writer busy)
   * @param model the model panel ({@code GET /models/status}), or null
   */
  public record LineReadings(
      long rejectsDelivered,
      Map<String, Long> rejectsMissed,
      long actuatorAlarms,
      String lastActuatorAlarm,
      List<String> outputsDown,
      List<String> healthProblems,
      boolean drift,
      long auditLoss,
      long auditBacklog,
      long archiveEvicted,
      long archiveSkipped,
      Map<String, Object> model) {}

  private final DashboardConfig config;
  private final long budgetNs;
  private final String line;
  private final Sources sources;
  private final LongSupplier epochUs;
  private final ArchiveLookup archive;
  private final HandOffRing<VerdictCopy> ring = new HandOffRing<>(VerdictCopy::new, SLOTS);
  private final HandOffRing<ImageCopy> images = new HandOffRing<>(ImageCopy::new, IMAGE_SLOTS);
  private final ConcurrentHashMap<String, AtomicLong> nextImageNs = new ConcurrentHashMap<>();
  private final AtomicInteger clients = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final Thread thread;
  private volatile boolean running = true;

  /** Guards the state below (the dashboard thread, and the HTTP threads' writes). */
  final Object lock = new Object();

  private final Map<String, CameraState> cameras = new TreeMap<>();
  private final RollingLatency latency = new RollingLatency();
  private final Alarms alarms;
  private final ArrayDeque<Part> fails = new ArrayDeque<>();
  private Shift shift;
  private LineReadings lastReadings;
  private final ConcurrentHashMap<String, Part> recentParts = new ConcurrentHashMap<>();

  private volatile byte[] snapshot = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private final AtomicLong snapshotVersion = new AtomicLong();

  /**
   * @param line the line's name
   * @param budgetMs the verdict budget (timing is shown against it)
   * @param archive where FAIL images are, or null when the archive is off
   */
  public DashboardFeed(
      DashboardConfig config,
      String line,
      long budgetMs,
      Sources sources,
      ArchiveLookup archive,
      LongSupplier epochUs) {
    this.config = config;
    this.line = line;
    this.budgetNs = TimeUnit.MILLISECONDS.toNanos(budgetMs);
    this.sources = sources;
    this.archive = archive;
    this.epochUs = epochUs;
    this.alarms = new Alarms(epochUs);
    this.thread = new Thread(this::run, "dashboard");
    thread.setDaemon(true);
  }

  /** Starts the {@code dashboard} thread (after the service's own warm-up). */
  public void start() {
    synchronized (lock) {
      shift = new Shift(epochUs.getAsLong(), null);
    }
    thread.start();
  }

  // ---------------------------------------------------------------- the line's threads

  @Override
  public void onVerdict(VerdictView v) {
    if (!ring.offer(COPY, v)) {
      dropped.increment();
    }
    if (clients.get() > 0 && ImageCopy.hasImage(v)) {
      AtomicLong next = nextImageNs.get(v.cameraId());
      if (next == null) {
        if (nextImageNs.size() >= MAX_CAMERAS) {
          return;
        }
        next = nextImageNs.computeIfAbsent(v.cameraId(), k -> new AtomicLong(v.emittedNs()));
      }
      long due = next.get();
      if (v.emittedNs() - due >= 0
          && next.compareAndSet(
              due, v.emittedNs() + TimeUnit.MILLISECONDS.toNanos(config.snapshotMs()))) {
        images.offer(COPY_IMAGE, v); // skipped when full: the next one will do
      }
    }
  }

  @Override
  public String listenerName() {
    return "dashboard";
  }

  /**
   * Verdicts the ring had no room for (the dashboard thread fell behind); the line is unaffected.
   */
  public long dropped() {
    return dropped.sum();
  }

  // ---------------------------------------------------------------- the dashboard thread

  private void run() {
    long nextSnapshotNs = System.nanoTime();
    while (running) {
      try {
        int n = 0;
        synchronized (lock) {
          while (n < 4096 && ring.poll(this::fold)) {
            n++;
          }
        }
        while (images.poll(this::thumb)) {
          // each is encoded once, off the line
        }
        long now = System.nanoTime();
        if (now - nextSnapshotNs >= 0) {
          nextSnapshotNs = now + TimeUnit.MILLISECONDS.toNanos(config.snapshotMs());
          render(now);
        }
        if (n == 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      } catch (RuntimeException | IOException e) {
        LOG.log(Level.WARNING, "dashboard: snapshot failed (the line is unaffected): " + e, e);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
      }
    }
  }

  /** One verdict into the state. Holds {@link #lock}. */
  private void fold(VerdictCopy c) {
    CameraState cam = camera(c.camera);
    Part p = Part.of(c, epochUs.getAsLong());
    if (cam != null) {
      cam.last = p;
      cam.frames.add(c.emittedNs);
    }
    long latencyNs = c.emittedNs - c.receivedNs;
    boolean late = c.reason == ReasonCode.DEADLINE || latencyNs > budgetNs;
    latency.record(c.emittedNs, latencyNs / 1_000, late);
    shift.count(p, late);
    if (c.verdict == Verdict.FAIL) {
      fails.addLast(p);
      recentParts.put(p.key(), p);
      while (fails.size() > config.filmstrip() * 4) {
        Part old = fails.removeFirst();
        recentParts.remove(old.key(), old);
      }
    }
    c.clear();
  }

  /** The state of {@code id}, created unless {@link #MAX_CAMERAS} are shown; null then. */
  private CameraState camera(String id) {
    CameraState c = cameras.get(id);
    if (c == null && cameras.size() < MAX_CAMERAS) {
      c = new CameraState(id);
      cameras.put(id, c);
    }
    return c;
  }

  /** The latest frame of a camera, scaled down to a JPEG (or the camera's own JPEG or PNG). */
  private void thumb(ImageCopy img) {
    try {
      Thumb t = Thumb.of(img, THUMB_SIDE);
      synchronized (lock) {
        CameraState cam = camera(img.camera());
        if (cam != null) {
          cam.image = t;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "dashboard: latest frame of " + img.camera() + " not shown: " + e);
    } finally {
      img.clear();
    }
  }

  private void render(long nowNs) throws IOException {
    LineReadings r = sources.readings();
    java.util.Set<String> connected = sources.connectedCameras();
    Map<String, Object> s = new LinkedHashMap<>();
    synchronized (lock) {
      lastReadings = r;
      for (String id : connected) {
        camera(id);
      }
      long atUs = epochUs.getAsLong();
      s.put("atUs", atUs);
      s.put("line", line);
      s.put("budgetMs", TimeUnit.NANOSECONDS.toMillis(budgetNs));
      List<Object> cams = new ArrayList<>();
      for (CameraState c : cameras.values()) {
        boolean up = connected.contains(c.id);
        if (up) {
          c.everConnected = true;
        }
        cams.add(c.toJson(up, nowNs));
      }
      s.put("cameras", cams);
      s.put("shift", shift.toJson(r));
      s.put("timing", latency.toJson(nowNs, budgetNs / 1_000));
      s.put("trend", shift.trend());
      s.put("scores", shift.scores());
      alarms.update(conditions(connected, r, nowNs));
      s.put("alarms", alarms.toJson());
      s.put("filmstrip", filmstrip());
      s.put("model", r.model());
      s.put("dropped", dropped.sum());
    }
    snapshot = JSON.writeValueAsBytes(s);
    synchronized (snapshotVersion) {
      snapshotVersion.incrementAndGet();
      snapshotVersion.notifyAll();
    }
  }

  /** The alarm conditions active now, by id. Holds {@link #lock}. */
  private Map<String, String[]> conditions(
      java.util.Set<String> connected, LineReadings r, long nowNs) {
    Map<String, String[]> a = new LinkedHashMap<>();
    for (CameraState c : cameras.values()) {
      if (c.everConnected && !connected.contains(c.id)) {
        a.put(
            "camera-offline:" + c.id,
            new String[] {"camera-offline", "camera " + c.id + " is offline"});
      }
    }
    for (String o : r.outputsDown()) {
      a.put("actuator:" + o, new String[] {"actuator", "reject output " + o + " is not connected"});
    }
    if (shift.actuatorAlarmsAtStart >= 0 && r.actuatorAlarms() > shift.actuatorAlarmsSeen) {
      shift.actuatorAlarmsSeen = r.actuatorAlarms();
      shift.actuatorAlarmNs = nowNs;
    }
    if (shift.actuatorAlarmNs != 0
        && nowNs - shift.actuatorAlarmNs < TimeUnit.SECONDS.toNanos(60)) {
      a.put(
          "plc-alarm",
          new String[] {
            "plc-alarm",
            "reject missed, PLC alarm coil raised"
                + (r.lastActuatorAlarm() == null ? "" : ": " + r.lastActuatorAlarm())
          });
    }
    for (String p : r.healthProblems()) {
      a.put("health:" + p, new String[] {"health", p});
    }
    long misses = latency.missesLastMinute(nowNs);
    long p99 = latency.p99LastMinute(nowNs);
    if (misses > 0 || p99 * 1_000 > budgetNs) {
      a.put(
          "latency",
          new String[] {
            "latency-overrun",
            misses
                + " deadline miss(es) in the last minute, p99 "
                + p99
                + " µs (budget "
                + budgetNs / 1_000
                + " µs)"
          });
    }
    if (r.drift()) {
      a.put("drift", new String[] {"drift", "image or score drift alarm (docs/operations.md)"});
    }
    if (r.auditLoss() > shift.auditLossAtStart) {
      a.put(
          "audit-loss",
          new String[] {
            "audit",
            (r.auditLoss() - shift.auditLossAtStart) + " audit record(s) dropped or lost this shift"
          });
    }
    if (r.auditBacklog() > 1000) {
      a.put(
          "audit-backlog",
          new String[] {"audit", r.auditBacklog() + " audit records waiting for the disk"});
    }
    if (r.archiveEvicted() > shift.archiveEvictedAtStart) {
      a.put(
          "archive-quota",
          new String[] {"archive-quota", "image archive at its quota: oldest images deleted"});
    }
    return a;
  }

  /** The newest FAIL parts whose image the archive holds. Holds {@link #lock}. */
  private List<Object> filmstrip() {
    List<Object> out = new ArrayList<>();
    if (archive == null) {
      return out;
    }
    var it = fails.descendingIterator();
    while (it.hasNext() && out.size() < config.filmstrip()) {
      Part p = it.next();
      if (p.archived || archive.exists(p)) {
        p.archived = true;
        out.add(p.toJson());
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- any thread

  /** The newest snapshot (JSON, UTF-8); never null. */
  public byte[] snapshot() {
    return snapshot;
  }

  /** The number of the newest snapshot (increases by one per snapshot). */
  public long snapshotVersion() {
    return snapshotVersion.get();
  }

  /**
   * Waits (at most {@code timeoutMs}) for a snapshot newer than {@code seen}; returns its number.
   */
  public long awaitSnapshot(long seen, long timeoutMs) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    synchronized (snapshotVersion) {
      while (snapshotVersion.get() <= seen && running) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(snapshotVersion, left);
      }
    }
    return snapshotVersion.get();
  }

  /** A browser started (true) or stopped streaming; false when {@code maxClients} already do. */
  boolean client(boolean joins) {
    if (!joins) {
      clients.decrementAndGet();
      return true;
    }
    while (true) {
      int n = clients.get();
      if (n >= config.maxClients()) {
        return false;
      }
      if (clients.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Browsers streaming now. */
  public int clients() {
    return clients.get();
  }

  /** The latest frame of {@code camera}, or null. */
  Thumb latestImage(String camera) {
    synchronized (lock) {
      CameraState c = cameras.get(camera);
      return c == null ? null : c.image;
    }
  }

  /** A recent FAIL part by {@link Part#key}, or null. */
  Part recentPart(String key) {
    return recentParts.get(key);
  }

  /** Starts a new shift: counters, trend and histogram from zero. */
  public void resetShift() {
    synchronized (lock) {
      shift = new Shift(epochUs.getAsLong(), lastReadings);
    }
  }

  /** Acknowledges an alarm; false when none has that id. */
  boolean acknowledge(String id, String role) {
    synchronized (lock) {
      return alarms.acknowledge(id, role);
    }
  }

  /** The shift's start (epoch µs). */
  public long shiftStartUs() {
    synchronized (lock) {
      return shift.startUs;
    }
  }

  /** Shift totals for tests and the demo: total, OK, NG. */
  public long[] shiftCounts() {
    synchronized (lock) {
      return new long[] {shift.total, shift.ok, shift.ng};
    }
  }

  /** A supplier of {@link LineReadings} that never throws (an error yields empty readings). */
  static Supplier<LineReadings> safe(Supplier<LineReadings> s) {
    return () -> {
      try {
        return s.get();
      } catch (RuntimeException e) {
        return new LineReadings(
            0, Map.of(), 0, null, List.of(), List.of("dashboard: " + e), false, 0, 0, 0, 0, null);
      }
    };
  }

  @Override
  public void close() {
    running = false;
    synchronized (snapshotVersion) {
      snapshotVersion.notifyAll();
    }
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- state (dashboard thread)

  /** Where the archive keeps a part's image. */
  public interface ArchiveLookup {
    boolean exists(Part p);
  }

  /** One camera's latest part, frame rate and latest frame. */
  private static final class CameraState {
    final String id;
    Part last;
    Thumb image;
    boolean everConnected;
    final ArrayDeque<Long> frames = new ArrayDeque<>();

    CameraState(String id) {
      this.id = id;
    }

    Map<String, Object> toJson(boolean connected, long nowNs) {
      long window = TimeUnit.SECONDS.toNanos(2);
      while (!frames.isEmpty() && nowNs - frames.peekFirst() > window) {
        frames.removeFirst();
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("connected", connected);
      m.put("fps", Math.round(frames.size() / 2.0 * 10) / 10.0);
      m.put("last", last == null ? null : last.toJson());
      m.put(
          "lastAgeMs", last == null ? null : TimeUnit.NANOSECONDS.toMillis(nowNs - last.emittedNs));
      m.put("imageSeq", image == null ? null : image.sequence());
      return m;
    }
  }

  /** Counters since the shift started. */
  private static final class Shift {
    final long startUs;
    long total;
    long ok;
    long ng;
    long late;
    final Map<ReasonCode, Long> failSafe = new EnumMap<>(ReasonCode.class);
    final long rejectsDeliveredAtStart;
    final Map<String, Long> rejectsMissedAtStart;
    final long actuatorAlarmsAtStart;
    long actuatorAlarmsSeen;
    long actuatorAlarmNs;
    final long auditLossAtStart;
    final long archiveEvictedAtStart;
    final long[] scoreBins = new long[SCORE_BINS];
    float threshold = Float.NaN;
    final ArrayDeque<long[]> trend = new ArrayDeque<>(); // {startUs, total, ng}

    Shift(long startUs, LineReadings at) {
      this.startUs = startUs;
      rejectsDeliveredAtStart = at == null ? 0 : at.rejectsDelivered();
      rejectsMissedAtStart = at == null ? Map.of() : Map.copyOf(at.rejectsMissed());
      actuatorAlarmsAtStart = at == null ? 0 : at.actuatorAlarms();
      actuatorAlarmsSeen = actuatorAlarmsAtStart;
      auditLossAtStart = at == null ? 0 : at.auditLoss();
      archiveEvictedAtStart = at == null ? 0 : at.archiveEvicted();
    }

    void count(Part p, boolean isLate) {
      total++;
      if (isLate) {
        late++;
      }
      boolean fail = p.verdict == Verdict.FAIL;
      if (p.reason != ReasonCode.NONE) {
        failSafe.merge(p.reason, 1L, Long::sum);
      } else if (fail) {
        ng++;
      } else {
        ok++;
      }
      if (p.reason == ReasonCode.NONE && Float.isFinite(p.score)) {
        int bin = (int) Math.min(SCORE_BINS - 1, Math.max(0, p.score * SCORE_BINS));
        scoreBins[bin]++;
        threshold = p.threshold;
      }
      long bucketUs = TimeUnit.MINUTES.toMicros(TREND_MINUTES);
      long at = p.atUs < startUs ? startUs : p.atUs;
      long start = startUs + (at - startUs) / bucketUs * bucketUs;
      long[] last = trend.peekLast();
      if (last == null || last[0] != start) {
        last = new long[] {start, 0, 0};
        trend.addLast(last);
        while (trend.size() > 24 * 60 / TREND_MINUTES) {
          trend.removeFirst();
        }
      }
      last[1]++;
      if (fail) {
        last[2]++;
      }
    }

    Map<String, Object> toJson(LineReadings r) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("startUs", startUs);
      m.put("total", total);
      m.put("ok", ok);
      m.put("ng", ng);
      Map<String, Long> fs = new LinkedHashMap<>();
      long failSafeTotal = 0;
      for (Map.Entry<ReasonCode, Long> e : failSafe.entrySet()) {
        fs.put(e.getKey().name(), e.getValue());
        failSafeTotal += e.getValue();
      }
      m.put("failSafe", fs);
      m.put("failSafeTotal", failSafeTotal);
      m.put("yieldPct", total == 0 ? null : Math.round(ok * 10_000.0 / total) / 100.0);
      Map<String, Object> rejects = new LinkedHashMap<>();
      rejects.put("delivered", r.rejectsDelivered() - rejectsDeliveredAtStart);
      Map<String, Long> missed = new LinkedHashMap<>();
      long missedTotal = 0;
      for (Map.Entry<String, Long> e : r.rejectsMissed().entrySet()) {
        long n = e.getValue() - rejectsMissedAtStart.getOrDefault(e.getKey(), 0L);
        missed.put(e.getKey(), n);
        missedTotal += n;
      }
      rejects.put("missed", missed);
      rejects.put("missedTotal", missedTotal);
      m.put("rejects", rejects);
      m.put("deadlineMisses", late);
      return m;
    }

    /** NG rate per bucket with p-chart limits: p̄ ± 3·√(p̄(1−p̄)/n), clipped to 0..1. */
    Map<String, Object> trend() {
      long n = 0;
      long ngAll = 0;
      for (long[] b : trend) {
        n += b[1];
        ngAll += b[2];
      }
      double pBar = n == 0 ? 0 : (double) ngAll / n;
      List<Object> buckets = new ArrayList<>();
      for (long[] b : trend) {
        double sigma = b[1] == 0 ? 0 : Math.sqrt(pBar * (1 - pBar) / b[1]);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("startUs", b[0]);
        m.put("total", b[1]);
        m.put("ng", b[2]);
        m.put("p", b[1] == 0 ? 0 : round4((double) b[2] / b[1]));
        m.put("ucl", round4(Math.min(1, pBar + 3 * sigma)));
        m.put("lcl", round4(Math.max(0, pBar - 3 * sigma)));
        buckets.add(m);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("bucketMinutes", TREND_MINUTES);
      m.put("pBar", round4(pBar));
      m.put("buckets", buckets);
      return m;
    }

    Map<String, Object> scores() {
      Map<String, Object> m = new LinkedHashMap<>();
      List<Long> bins = new ArrayList<>();
      for (long b : scoreBins) {
        bins.add(b);
      }
      m.put("bins", bins);
      m.put("threshold", Float.isFinite(threshold) ? (Object) round4(threshold) : null);
      return m;
    }
  }

  static double round4(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
