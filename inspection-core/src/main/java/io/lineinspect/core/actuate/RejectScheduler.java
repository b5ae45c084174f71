package io.lineinspect.core.actuate;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.health.Stage;
import io.lineinspect.core.time.CameraClocks;
import io.lineinspect.core.time.NanoClock;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Times rejects to the part: every verdict is copied (no allocation) into a small multi-producer
 * ring; the {@code reject-scheduler} thread hands it to each output's {@link
 * ActuatorOutput#onVerdict}, and for a FAIL computes when the part reaches the gate (capture or
 * receipt + {@code travelMs} − {@code responseMs}) and fires it then on every output.
 *
 * <p>When every output {@link ActuatorOutput#timesRejects times rejects itself} (a PLC that fires
 * the stroke from its own shift register), each FAIL is handed over at once in {@code onVerdict}
 * with its due time and nothing is queued here: the lateness check is the device's.
 *
 * <p>A verdict that reaches the scheduler after its fire time + {@code lateToleranceMs} is a missed
 * reject ({@link MissCause#LATE}): never fired, because the part at the gate by then is another
 * one. A full queue is a missed reject too ({@link MissCause#QUEUE_FULL}); the pipeline never waits
 * for the actuators.
 *
 * <p>A capture time is only used when it is believable (docs/actuators.md, "Which t"): not in the
 * future beyond {@code maxClockSkewMs}, from a camera whose {@link CameraClocks heartbeat offset
 * estimate} is within {@code maxClockSkewMs}, or, without an estimate, not older than {@code
 * maxTransitMs + maxClockSkewMs} at receipt. Otherwise the reject is timed from receipt and counted
 * per camera ({@link ClockSkew}): a camera clock that is behind never moves a reject earlier than
 * the checks allow.
 */
public final class RejectScheduler implements VerdictListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RejectScheduler.class.getName());

  /** Longest nap with rejects pending: new verdicts are picked up at least this often. */
  private static final long BUSY_PARK_NS = TimeUnit.MICROSECONDS.toNanos(500);

  /**
   * Nap with nothing pending: a verdict's registers/VERDICT line leave at most this late (its
   * reject is due travelMs later).
   */
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

  /** The loop passes at least every millisecond: two seconds without a pass is a stalled stage. */
  private static final long STALL_MS = 2_000;

  private static final long EPOCH_REFRESH_NS = TimeUnit.SECONDS.toNanos(1);

  private final RejectTimingConfig timing;
  private final List<ActuatorOutput> outputs;
  private final ActuatorMetrics metrics;
  private final NanoClock clock;
  private final LongSupplier epochMicros;
  private final RingBuffer<RejectOrder> inbox;
  private final EventPoller<RejectOrder> poller;
  private final PriorityQueue<RejectOrder> pending;
  private final ArrayDeque<RejectOrder> free;
  private final long travelNs;
  private final long lateToleranceNs;
  private final long maxSkewNs;
  private final long maxPastNs;
  private final CameraClocks clocks;
  private final Thread thread;
  private final Stage stage;
  private final boolean outputsTimeRejects;
  private volatile boolean running = true;
  private volatile int pendingCount;
  private long epochOffsetUs;
  private long epochRefreshedNs;

  /**
   * @param timing the validated timing ({@code travelMs} set)
   * @param outputs the outputs, already constructed (started here)
   * @param metrics where counts go
   * @param clock the service's monotonic clock
   * @param epochMicros the wall clock in epoch µs (capture times are on it)
   */
  public RejectScheduler(
      RejectTimingConfig timing,
      List<ActuatorOutput> outputs,
      ActuatorMetrics metrics,
      NanoClock clock,
      LongSupplier epochMicros) {
    this(
        timing,
        outputs,
        metrics,
        clock,
        epochMicros,
        new CameraClocks(timing.clockWindowMs(), epochMicros));
  }

  /**
   * @param timing the validated timing ({@code travelMs} set)
   * @param outputs the outputs, already constructed (started here)
   * @param metrics where counts go
   * @param clock the service's monotonic clock
   * @param epochMicros the wall clock in epoch µs (capture times are on it)
   * @param clocks the cameras' clock offset estimates, fed by ingest from their heartbeats
   */
  public RejectScheduler(
      RejectTimingConfig timing,
      List<ActuatorOutput> outputs,
      ActuatorMetrics metrics,
      NanoClock clock,
      LongSupplier epochMicros,
      CameraClocks clocks) {
    if (timing.travelMs() == null) {
      throw new IllegalArgumentException("actuators.timing.travelMs is not set");
    }
    this.timing = timing;
    this.outputs = List.copyOf(outputs);
    this.metrics = metrics;
    this.clock = clock;
    this.epochMicros = epochMicros;
    this.travelNs = (long) ((timing.travelMs() - timing.responseMs()) * 1e6);
    this.lateToleranceNs = (long) (timing.lateToleranceMs() * 1e6);
    this.maxSkewNs = (long) (timing.maxClockSkewMs() * 1e6);
    this.maxPastNs = (long) ((timing.maxTransitMs() + timing.maxClockSkewMs()) * 1e6);
    this.clocks = clocks;
    int size = timing.queueSize();
    this.inbox = RingBuffer.createMultiProducer(RejectOrder::new, size, new YieldingWaitStrategy());
    this.poller = inbox.newPoller();
    inbox.addGatingSequences(poller.getSequence());
    this.pending = new PriorityQueue<>(size, (a, b) -> Long.compare(a.fireAtNs(), b.fireAtNs()));
    this.free = new ArrayDeque<>(size);
    for (int i = 0; i < size; i++) {
      free.add(new RejectOrder());
    }
    this.outputsTimeRejects =
        !this.outputs.isEmpty() && this.outputs.stream().allMatch(ActuatorOutput::timesRejects);
    metrics.alarmSink(this::raiseAlarm);
    for (ActuatorOutput o : this.outputs) {
      o.start(metrics);
    }
    stage = new Stage("reject-scheduler", STALL_MS);
    thread = new Thread(this::run, "reject-scheduler");
    thread.setDaemon(true);
    thread.setPriority(Thread.MAX_PRIORITY);
    thread.start();
  }

  /** The wall clock in epoch microseconds. */
  public static long systemEpochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  public ActuatorMetrics metrics() {
    return metrics;
  }

  /** The cameras' clock offset estimates this scheduler trusts capture times by. */
  public CameraClocks clocks() {
    return clocks;
  }

  public List<ActuatorOutput> outputs() {
    return outputs;
  }

  /** Called for every verdict by the pipeline: copies it into the queue, never blocks. */
  @Override
  public void onVerdict(VerdictView verdict) {
    long seq;
    try {
      seq = inbox.tryNext();
    } catch (InsufficientCapacityException e) {
      if (verdict.verdict() == Verdict.FAIL) {
        metrics.missed(
            ActuatorMetrics.SCHEDULER,
            MissCause.QUEUE_FULL,
            verdict.cameraId(),
            verdict.sequence(),
            "queue of " + timing.queueSize() + " full");
      }
      return;
    }
    try {
      inbox.get(seq).copyFrom(verdict);
    } finally {
      inbox.publish(seq);
    }
  }

  /**
   * A warm-up verdict (the service warms its whole path before accepting cameras): it takes the
   * same way as a real one — the ring, the scheduler thread, the timing, the queue of pending
   * rejects, each output's {@link ActuatorOutput#dryRun} — but is never fired, never counted and
   * never sent. Dropped when the queue is full.
   */
  @Override
  public void onWarmUpVerdict(VerdictView verdict) {
    long seq;
    try {
      seq = inbox.tryNext();
    } catch (InsufficientCapacityException e) {
      return;
    }
    try {
      inbox.get(seq).copyFrom(verdict);
    } finally {
      inbox.publish(seq);
    }
  }

  /** The dry run of a warm-up verdict: timed, queued and handed to the outputs' dry runs. */
  private boolean dryRun(RejectOrder order) {
    long now = clock.nanoTime();
    schedule(order, now);
    for (ActuatorOutput o : outputs) {
      try {
        o.dryRun(order);
      } catch (Throwable e) {
        outputFailed(o, "dryRun", e);
      }
    }
    if (order.isReject() && !outputsTimeRejects) {
      RejectOrder copy = free.poll();
      if (copy != null) {
        copy.copyFrom(order);
        pending.add(copy); // popped at its time by fireDue, never fired
        pendingCount = pending.size();
      }
    }
    return true;
  }

  private void run() {
    Integer priority = timing.schedulerRealtimePriority();
    if (priority != null) {
      String why = RealtimePriority.applyToCallingThread(priority);
      if (why == null) {
        LOG.log(Level.INFO, "reject-scheduler runs SCHED_FIFO priority {0}", priority);
      } else {
        LOG.log(Level.WARNING, "reject-scheduler keeps normal priority: {0}", why);
      }
    }
    stage.started();
    // A handler that threw would leave the poller's sequence before the failing order, so every
    // later poll would retry it and no reject would ever fire again: isolate each order.
    EventPoller.Handler<RejectOrder> handler =
        (order, sequence, endOfBatch) -> {
          try {
            return accept(order);
          } catch (Throwable e) {
            stage.error("order " + order.cameraId() + "#" + order.sequence() + ": " + e, e);
            return true;
          }
        };
    while (running) {
      stage.beat();
      try {
        poller.poll(handler);
        fireDue();
        RejectOrder next = pending.peek();
        long sleep = IDLE_PARK_NS;
        if (next != null) {
          sleep = Math.min(BUSY_PARK_NS, next.fireAtNs() - clock.nanoTime());
        }
        if (sleep > 0) {
          LockSupport.parkNanos(sleep);
        }
      } catch (Throwable e) {
        // An output bug must not stop the rejects of the other outputs.
        stage.error(e);
      }
    }
  }

  /** The scheduler thread's health (heartbeat, errors). */
  public Stage stage() {
    return stage;
  }

  private boolean accept(RejectOrder order) {
    if (order.warmUp()) {
      return dryRun(order);
    }
    metrics.onVerdict();
    long now = clock.nanoTime();
    schedule(order, now);
    for (ActuatorOutput o : outputs) {
      try {
        o.onVerdict(order);
      } catch (Throwable e) {
        outputFailed(o, "onVerdict", e);
      }
    }
    if (!order.isReject()) {
      return true;
    }
    if (outputsTimeRejects) {
      // Handed over with its due time in onVerdict: the device fires it, or refuses it when it
      // arrived too late, and the output counts that (the device's clock is the one that counts).
      metrics.onScheduled();
      return true;
    }
    if (now - (order.fireAtNs() + lateToleranceNs) > 0) {
      metrics.missed(
          ActuatorMetrics.SCHEDULER,
          MissCause.LATE,
          order.cameraId(),
          order.sequence(),
          String.format(
              java.util.Locale.ROOT,
              "%.1f ms after its fire time",
              (now - order.fireAtNs()) / 1e6));
      return true;
    }
    RejectOrder copy = free.poll();
    if (copy == null) {
      metrics.missed(
          ActuatorMetrics.SCHEDULER,
          MissCause.QUEUE_FULL,
          order.cameraId(),
          order.sequence(),
          timing.queueSize() + " rejects already pending");
      return true;
    }
    copy.copyFrom(order);
    pending.add(copy);
    pendingCount = pending.size();
    metrics.onScheduled();
    return true;
  }

  /**
   * Epoch µs minus monotonic µs, read as a bracketed pair (monotonic, epoch, monotonic), the
   * tightest of three tries. It takes the later monotonic reading, so a thread preempted between
   * the reads makes the offset smaller, never larger: a capture time then converts to a later
   * instant and a reject fires late (counted) rather than early, onto the part before.
   */
  private long sampleEpochOffsetUs() {
    long best = 0;
    long bestGap = Long.MAX_VALUE;
    for (int i = 0; i < 3 && bestGap > 20_000; i++) {
      long before = clock.nanoTime();
      long epochUs = epochMicros.getAsLong();
      long after = clock.nanoTime();
      if (after - before < bestGap) {
        bestGap = after - before;
        best = epochUs - after / 1_000;
      }
    }
    return best;
  }

  /** Sets the order's fire time from its capture time (when trusted) or its receipt time. */
  private void schedule(RejectOrder order, long nowNs) {
    if (nowNs - epochRefreshedNs > EPOCH_REFRESH_NS || epochRefreshedNs == 0) {
      epochOffsetUs = sampleEpochOffsetUs();
      epochRefreshedNs = nowNs;
    }
    long baseNs = order.receivedNs();
    boolean fromCapture = false;
    if (timing.fromCapture() && order.captureTimeUs() != 0) {
      long captureNs = (order.captureTimeUs() - epochOffsetUs) * 1_000;
      ClockSkew skew = distrust(order.cameraId(), order.receivedNs() - captureNs, nowNs);
      if (skew != null) {
        if (!order.warmUp()) {
          metrics.onClockSkew(order.cameraId(), skew);
        }
      } else {
        baseNs = captureNs;
        fromCapture = true;
      }
    }
    long fireAtNs = baseNs + travelNs;
    order.schedule(fireAtNs, fireAtNs / 1_000 + epochOffsetUs, fromCapture);
  }

  /**
   * Why a capture time {@code lagNs} before its frame's receipt is not trusted, or null when it is
   * (docs/actuators.md, "Which t").
   */
  private ClockSkew distrust(String cameraId, long lagNs, long nowNs) {
    if (lagNs + maxSkewNs < 0) {
      return ClockSkew.FUTURE;
    }
    long offsetUs = clocks.offsetUs(cameraId, nowNs / 1_000 + epochOffsetUs);
    if (offsetUs != CameraClocks.UNKNOWN) {
      // Known clock: an old capture time is a delayed frame, timed from capture (or LATE).
      return Math.abs(offsetUs) > maxSkewNs / 1_000 ? ClockSkew.OFFSET : null;
    }
    return lagNs - maxPastNs > 0 ? ClockSkew.PAST : null;
  }

  private void fireDue() {
    RejectOrder next;
    long now;
    while ((next = pending.peek()) != null && (now = clock.nanoTime()) - next.fireAtNs() >= 0) {
      pending.poll();
      if (next.warmUp()) {
        // a dry run: its time came, nothing is fired or counted
      } else if (now - next.fireAtNs() > lateToleranceNs) {
        // This thread was descheduled past the part: firing now would push the next part.
        metrics.missed(
            ActuatorMetrics.SCHEDULER,
            MissCause.LATE,
            next.cameraId(),
            next.sequence(),
            String.format(
                java.util.Locale.ROOT,
                "scheduler woke %.1f ms after the fire time",
                (now - next.fireAtNs()) / 1e6));
      } else {
        for (ActuatorOutput o : outputs) {
          try {
            o.fire(next);
          } catch (Throwable e) {
            // One output's bug never blocks another output or a later reject; this one's stroke
            // did not happen, which is a missed reject.
            outputFailed(o, "fire", e);
            metrics.missed(
                o.name(),
                MissCause.WRITE_FAILED,
                next.cameraId(),
                next.sequence(),
                "the output threw " + e);
          }
        }
      }
      free.add(next);
      pendingCount = pending.size();
    }
  }

  private void outputFailed(ActuatorOutput o, String what, Throwable e) {
    stage.error("output " + o.name() + " " + what + " threw " + e, e);
  }

  /**
   * Raises the line alarm on every output that has one because the service is unhealthy. Any
   * thread; each output's failure is counted, never thrown.
   */
  public void healthAlarm(String problem) {
    for (ActuatorOutput o : outputs) {
      try {
        o.healthAlarm(problem);
      } catch (RuntimeException | LinkageError e) {
        stage.error("output " + o.name() + " healthAlarm threw " + e, e);
      }
    }
  }

  private void raiseAlarm(MissCause cause, String partId) {
    // Called from any thread; outputs are only touched by the scheduler thread, except alarm(),
    // which each output documents as thread-safe.
    for (ActuatorOutput o : outputs) {
      o.alarm(cause, partId);
    }
  }

  /**
   * Fires the rejects still pending (waiting at most their travel time), then stops and closes the
   * outputs. Call after the pipeline has emitted its last verdict.
   */
  @Override
  public void close() {
    // Bounded on the real clock, whatever the injected one does.
    long until = System.nanoTime() + travelNs + lateToleranceNs + 500_000_000L;
    while ((pendingCount > 0 || poller.getSequence().get() < inbox.getCursor())
        && System.nanoTime() - until < 0
        && thread.isAlive()) {
      LockSupport.parkNanos(1_000_000L);
    }
    stage.stopped();
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!pending.isEmpty()) {
      LOG.log(
          Level.INFO, "reject scheduler: {0} pending rejects dropped at shutdown", pending.size());
    }
    for (ActuatorOutput o : outputs) {
      o.close();
    }
  }
}
