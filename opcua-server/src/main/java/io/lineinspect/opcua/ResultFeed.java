package io.lineinspect.opcua;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.lineinspect.core.audit.AuditLog;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Feeds the OPC UA side from the audit chain, the way the plant exporter is fed: {@link #onChained}
 * (on the {@code audit-writer} thread) copies the line into a bounded ring and returns — a full
 * ring is counted ({@link #dropped()}), never waited for — and the {@code opcua-feed} thread parses
 * the verdict records and hands each to the {@link Sink} (the address space), then calls {@link
 * Sink#tick} every {@code updateIntervalMs}. Nothing here runs on the line's threads, so slow or
 * many OPC UA clients never delay a verdict.
 *
 * <pre>
 *  audit-writer ──onChained──▶ ring (opcua.queueSize; full = counted)
 *        ▼ opcua-feed: parse "type":"record" → Sink.onResult ; every updateIntervalMs Sink.tick
 * </pre>
 */
public final class ResultFeed implements AuditLog.ChainListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ResultFeed.class.getName());

  /** Where results go, on the {@code opcua-feed} thread only. */
  public interface Sink {
    void onResult(InspectionResult result);

    /** Called every {@code updateIntervalMs} (and once more at close). */
    void tick(long nowNs);
  }

  private static final class Slot {
    byte[] bytes = new byte[512];
    int length;
  }

  private final RingBuffer<Slot> ring;
  private final EventPoller<Slot> poller;
  private final Sink sink;
  private final long tickNs;
  private final LongSupplier nanoTime;
  private final LongAdder dropped = new LongAdder();
  private final LongAdder unreadable = new LongAdder();
  private final LongAdder results = new LongAdder();
  private final Thread thread;
  private volatile boolean running = true;
  private long nextTickNs;

  /**
   * @param queueSize ring slots, a power of two
   * @param updateIntervalMs how often {@link Sink#tick} runs
   */
  public ResultFeed(int queueSize, int updateIntervalMs, Sink sink, LongSupplier nanoTime) {
    this.ring = RingBuffer.createMultiProducer(Slot::new, queueSize, new YieldingWaitStrategy());
    this.poller = ring.newPoller();
    ring.addGatingSequences(poller.getSequence());
    this.sink = sink;
    this.tickNs = TimeUnit.MILLISECONDS.toNanos(updateIntervalMs);
    this.nanoTime = nanoTime;
    this.thread = new Thread(this::run, "opcua-feed");
    thread.setDaemon(true);
  }

  /** Starts the {@code opcua-feed} thread. */
  public void start() {
    thread.start();
  }

  @Override
  public void onChained(String prevHash, byte[] line, int offset, int length) {
    long seq;
    try {
      seq = ring.tryNext();
    } catch (InsufficientCapacityException e) {
      dropped.increment();
      return;
    }
    try {
      Slot s = ring.get(seq);
      if (s.bytes.length < length) {
        s.bytes = new byte[Math.max(length, s.bytes.length * 2)];
      }
      System.arraycopy(line, offset, s.bytes, 0, length);
      s.length = length;
    } finally {
      ring.publish(seq);
    }
  }

  private void run() {
    LowPriority.lowerCallingThread();
    nextTickNs = nanoTime.getAsLong();
    while (running) {
      boolean work = drain();
      tickIfDue();
      if (!work) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }
  }

  private boolean drain() {
    try {
      return poller.poll(this::handle) == EventPoller.PollState.PROCESSING;
    } catch (Exception e) {
      // handle() catches what a line can throw; anything else is a bug, counted and logged once.
      if (unreadable.sum() == 0) {
        LOG.log(Level.ERROR, "opcua-feed: " + e, e);
      }
      unreadable.increment();
      return false;
    }
  }

  private boolean handle(Slot s, long sequence, boolean endOfBatch) {
    InspectionResult r;
    try {
      r = InspectionResult.parse(s.bytes, 0, s.length);
    } catch (java.io.IOException | RuntimeException e) {
      if (unreadable.sum() == 0) {
        LOG.log(Level.WARNING, "opcua-feed: an audit line could not be read: " + e);
      }
      unreadable.increment();
      return true;
    }
    if (r != null) {
      results.increment();
      try {
        sink.onResult(r);
      } catch (RuntimeException e) {
        if (unreadable.sum() == 0) {
          LOG.log(Level.WARNING, "opcua-feed: result " + r.resultId() + ": " + e, e);
        }
        unreadable.increment();
      }
    }
    tickIfDue();
    return true;
  }

  private void tickIfDue() {
    long now = nanoTime.getAsLong();
    if (now - nextTickNs >= 0) {
      nextTickNs = now + tickNs;
      try {
        sink.tick(now);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "opcua-feed: refreshing the line's variables: " + e, e);
      }
    }
  }

  /** Audit lines not taken because the ring was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** Lines that could not be read, and sink errors. */
  public long unreadable() {
    return unreadable.sum();
  }

  /** Verdict records handed to the sink. */
  public long results() {
    return results.sum();
  }

  /** Stops the thread after it has handed on what is in the ring (bounded: 5 s). */
  @Override
  public void close() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (thread.isAlive()
        && ring.getCursor() != poller.getSequence().get()
        && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive()) {
      try {
        sink.tick(nanoTime.getAsLong());
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "opcua-feed: last refresh: " + e, e);
      }
    }
  }

  /** For tests: true once everything published so far has been handed to the sink. */
  public boolean awaitDrained(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (ring.getCursor() != poller.getSequence().get()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }
}
