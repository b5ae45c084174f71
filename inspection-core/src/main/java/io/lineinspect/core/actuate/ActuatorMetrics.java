package io.lineinspect.core.actuate;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * Counters of the reject path, per output and in total, and the alarm. Every missed reject is
 * counted by cause, logged with the part's identity (at most {@value #LOG_PER_SECOND} lines per
 * second per output; the rest are summarised) and raises the alarm. Thread-safe.
 */
public final class ActuatorMetrics implements ActuatorEvents {
  private static final System.Logger LOG = System.getLogger(ActuatorMetrics.class.getName());
  static final int LOG_PER_SECOND = 10;

  /**
   * The pseudo-output under which the scheduler counts what it decides itself (LATE, QUEUE_FULL).
   */
  public static final String SCHEDULER = "scheduler";

  private final LongAdder verdicts = new LongAdder();
  private final LongAdder rejectsScheduled = new LongAdder();
  private final LongAdder clockSkew = new LongAdder();
  private final Map<String, LongAdder[]> clockSkewByCamera = new ConcurrentHashMap<>();
  private final Map<String, Output> outputs = new ConcurrentHashMap<>();
  private final AtomicLong alarms = new AtomicLong();
  private final Recorder fireLatenessUs = new Recorder(3);
  private final org.HdrHistogram.Histogram confirmLatencyTotal = new org.HdrHistogram.Histogram(3);
  private volatile String lastAlarm;
  private volatile AlarmSink alarmSink = (cause, part) -> {};

  /** Where the scheduler learns about missed rejects, to raise the line alarm on its outputs. */
  @FunctionalInterface
  interface AlarmSink {
    void raise(MissCause cause, String partId);
  }

  void alarmSink(AlarmSink sink) {
    this.alarmSink = sink;
  }

  /** Where the outcome of every reject goes (the audit trail), from any thread. */
  @FunctionalInterface
  public interface OutcomeListener {
    /**
     * @param outcome {@code DELIVERED} or a {@link MissCause} name
     */
    void outcome(String output, String cameraId, long sequence, String outcome);
  }

  private volatile OutcomeListener outcomes = (o, c, s, x) -> {};

  /** Sends every reject's outcome to {@code listener} (one listener; the last one set wins). */
  public void onOutcome(OutcomeListener listener) {
    this.outcomes = listener;
  }

  /**
   * Logs on the {@code actuator-log} thread: a console or journal that blocks must never delay the
   * reject scheduler. At most {@value #LOG_BACKLOG} lines wait; beyond that they are counted and
   * dropped (the counters stay exact).
   */
  private static void log(Level level, String format, Object... args) {
    if (!LOG_QUEUE.offer(() -> LOG.log(level, format, args))) {
      DROPPED_LOG_LINES.increment();
    }
  }

  private static final int LOG_BACKLOG = 1024;
  private static final java.util.concurrent.BlockingQueue<Runnable> LOG_QUEUE =
      new java.util.concurrent.ArrayBlockingQueue<>(LOG_BACKLOG);
  private static final LongAdder DROPPED_LOG_LINES = new LongAdder();

  static {
    Thread logger =
        new Thread(
            () -> {
              while (true) {
                try {
                  LOG_QUEUE.take().run();
                } catch (InterruptedException e) {
                  return;
                } catch (RuntimeException e) {
                  // a broken log handler must not stop the alarms being logged
                }
              }
            },
            "actuator-log");
    logger.setDaemon(true);
    logger.start();
  }

  void onVerdict() {
    verdicts.increment();
  }

  void onScheduled() {
    rejectsScheduled.increment();
  }

  void onClockSkew(String cameraId, ClockSkew cause) {
    clockSkew.increment();
    LongAdder[] byCause = clockSkewByCamera.get(cameraId);
    if (byCause == null) {
      byCause = clockSkewByCamera.computeIfAbsent(cameraId, id -> newClockSkewAdders());
    }
    // Only the scheduler thread counts skews: logged once per camera and cause.
    if (byCause[cause.ordinal()].sum() == 0) {
      log(
          Level.WARNING,
          "camera {0}: capture times not trusted ({1}); its rejects are timed from receipt",
          cameraId,
          cause);
    }
    byCause[cause.ordinal()].increment();
  }

  private Output output(String name) {
    return outputs.computeIfAbsent(name, Output::new);
  }

  @Override
  public void fired(String output) {
    output(output).fired.increment();
  }

  @Override
  public void delivered(String output, String cameraId, long sequence, long fireLatenessUs) {
    output(output).delivered.increment();
    outcomes.outcome(output, cameraId, sequence, "DELIVERED");
    this.fireLatenessUs.recordValue(Math.max(0, Math.min(fireLatenessUs, 60_000_000L)));
  }

  @Override
  public void missed(
      String output, MissCause cause, String cameraId, long sequence, String detail) {
    Output o = output(output);
    o.missed.get(cause).increment();
    alarms.incrementAndGet();
    String part = cameraId + "#" + sequence;
    outcomes.outcome(output, cameraId, sequence, cause.name());
    lastAlarm = output + ": missed reject of part " + part + ": " + cause.text();
    if (o.mayLog()) {
      log(
          Level.WARNING,
          "MISSED REJECT part {0} on {1}: {2}{3}",
          part,
          output,
          cause.text(),
          detail == null ? "" : " (" + detail + ")");
    }
    alarmSink.raise(cause, part);
  }

  @Override
  public void problem(String output, String detail) {
    Output o = output(output);
    o.problems.increment();
    if (o.mayLog()) {
      log(Level.WARNING, "actuator {0}: {1}", output, detail);
    }
  }

  @Override
  public void connection(String output, boolean up, String detail) {
    Output o = output(output);
    boolean was = o.connected;
    o.connected = up;
    if (up) {
      o.connects.increment();
      log(Level.INFO, "actuator {0}: connected {1}", output, detail);
    } else if (was || o.connects.sum() == 0 && o.downLogged.compareAndSet(0, 1)) {
      log(
          Level.WARNING,
          "actuator {0}: {1}; rejects are missed until it reconnects",
          output,
          detail);
    }
  }

  public long verdicts() {
    return verdicts.sum();
  }

  public long rejectsScheduled() {
    return rejectsScheduled.sum();
  }

  /** Verdicts whose capture time was not trusted (timed from receipt), every camera. */
  public long clockSkew() {
    return clockSkew.sum();
  }

  /** Verdicts of one camera whose capture time was not trusted, for one cause. */
  public long clockSkew(String cameraId, ClockSkew cause) {
    LongAdder[] byCause = clockSkewByCamera.get(cameraId);
    return byCause == null ? 0 : byCause[cause.ordinal()].sum();
  }

  /** Verdicts of one camera whose capture time was not trusted, every cause. */
  public long clockSkew(String cameraId) {
    long n = 0;
    for (ClockSkew c : ClockSkew.all()) {
      n += clockSkew(cameraId, c);
    }
    return n;
  }

  /** Untrusted capture times by camera (sorted) and cause; for the metrics endpoint. */
  public Map<String, Map<ClockSkew, Long>> clockSkewByCamera() {
    Map<String, Map<ClockSkew, Long>> m = new java.util.TreeMap<>();
    clockSkewByCamera.forEach(
        (id, adders) -> {
          Map<ClockSkew, Long> byCause = new EnumMap<>(ClockSkew.class);
          for (ClockSkew c : ClockSkew.all()) {
            byCause.put(c, adders[c.ordinal()].sum());
          }
          m.put(id, byCause);
        });
    return m;
  }

  private static LongAdder[] newClockSkewAdders() {
    LongAdder[] a = new LongAdder[ClockSkew.all().length];
    for (int i = 0; i < a.length; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** Missed rejects of one cause, over every output and the scheduler. */
  public long missed(MissCause cause) {
    long n = 0;
    for (Output o : outputs.values()) {
      n += o.missed.get(cause).sum();
    }
    return n;
  }

  /** Missed rejects of every cause. */
  public long missed() {
    long n = 0;
    for (MissCause c : MissCause.all()) {
      n += missed(c);
    }
    return n;
  }

  public long alarms() {
    return alarms.get();
  }

  /** The latest alarm's text, or null when none was raised. */
  public String lastAlarm() {
    return lastAlarm;
  }

  /** A copy of the counters, for summaries and the metrics endpoint. */
  public Snapshot snapshot() {
    Map<String, OutputSnapshot> byOutput = new LinkedHashMap<>();
    outputs.values().stream()
        .sorted((a, b) -> a.name.compareTo(b.name))
        .forEach(o -> byOutput.put(o.name, o.snapshot()));
    Map<MissCause, Long> missed = new EnumMap<>(MissCause.class);
    for (MissCause c : MissCause.all()) {
      missed.put(c, missed(c));
    }
    org.HdrHistogram.Histogram h;
    synchronized (confirmLatencyTotal) {
      confirmLatencyTotal.add(fireLatenessUs.getIntervalHistogram());
      h = confirmLatencyTotal.copy();
    }
    return new Snapshot(
        verdicts(),
        rejectsScheduled(),
        clockSkew(),
        missed,
        alarms(),
        lastAlarm,
        byOutput,
        h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50),
        h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99));
  }

  /**
   * Counters at one moment.
   *
   * @param confirmLatencyP50Us median time from a reject's due moment to its confirmation by the
   *     device, since start
   */
  public record Snapshot(
      long verdicts,
      long rejectsScheduled,
      long clockSkew,
      Map<MissCause, Long> missed,
      long alarms,
      String lastAlarm,
      Map<String, OutputSnapshot> outputs,
      long confirmLatencyP50Us,
      long confirmLatencyP99Us) {
    public long missedTotal() {
      return missed.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** Counters of one output. */
  public record OutputSnapshot(
      long fired,
      long delivered,
      Map<MissCause, Long> missed,
      long problems,
      boolean connected,
      long connects) {}

  private static final class Output {
    final String name;
    final LongAdder fired = new LongAdder();
    final LongAdder delivered = new LongAdder();
    final Map<MissCause, LongAdder> missed = new EnumMap<>(MissCause.class);
    final LongAdder connects = new LongAdder();
    final LongAdder problems = new LongAdder();
    final AtomicLong downLogged = new AtomicLong();
    volatile boolean connected;
    private long logWindowMs;
    private int loggedInWindow;
    private long suppressed;

    Output(String name) {
      this.name = name;
      for (MissCause c : MissCause.all()) {
        missed.put(c, new LongAdder());
      }
    }

    synchronized boolean mayLog() {
      long nowMs = System.currentTimeMillis();
      if (nowMs - logWindowMs >= 1000) {
        if (suppressed > 0) {
          log(
              Level.WARNING,
              "actuator {0}: {1} more missed rejects or problems in the last second (counted, not"
                  + " logged one by one)",
              name,
              suppressed);
        }
        logWindowMs = nowMs;
        loggedInWindow = 0;
        suppressed = 0;
      }
      if (loggedInWindow < LOG_PER_SECOND) {
        loggedInWindow++;
        return true;
      }
      suppressed++;
      return false;
    }

    OutputSnapshot snapshot() {
      Map<MissCause, Long> m = new EnumMap<>(MissCause.class);
      missed.forEach((k, v) -> m.put(k, v.sum()));
      return new OutputSnapshot(
          fired.sum(), delivered.sum(), m, problems.sum(), connected, connects.sum());
    }
  }
}
