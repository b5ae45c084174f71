package io.lineinspect.core.pipeline;

import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.health.ErrorLog;

/**
 * One producer of frames (a camera connection) and the place its verdicts go back to.
 *
 * <p>The base class keeps the per-camera promise that verdicts leave <b>in the order the frames
 * arrived</b>, whoever decides them: the pipeline (ring order), the ingest thread (OVERLOAD, while
 * earlier frames are still in the ring) or the deadline watchdog. Each frame gets an arrival index
 * on the ingest thread; a verdict is written only when every earlier arrival's verdict has been
 * written, otherwise it is copied into a small per-source queue and written right after its
 * predecessor. This is the only place verdicts are written, so it is the one mechanism for order.
 *
 * <p>Threading: {@link #claimArrival()} runs on the source's single ingest thread; delivery runs on
 * any thread, serialised by this object's monitor. Subclasses implement {@link #writeVerdict} and
 * {@link #flush()}, which are called under that monitor.
 */
public abstract class FrameSource {
  private static final System.Logger LOG = System.getLogger(FrameSource.class.getName());

  private final String cameraId;

  /** Errors of verdict writes and listeners; created on the first one; guarded by this. */
  private ErrorLog errors;

  /** Next arrival index; ingest thread only. */
  private long nextArrival;

  /**
   * Arrivals below this have had their verdict written; written under this monitor, read without it
   * by the ingest thread (frames in flight, for the fair share).
   */
  private volatile long writtenArrival;

  /** When this source last published a frame (0 = never); written by its ingest thread. */
  volatile long lastPublishNs;

  /** Whether the pipeline counts this source among the active ones (for the fair share). */
  volatile boolean countedActive;

  /** Verdicts waiting for an earlier one; guarded by this. */
  private final Parked parked = new Parked();

  /** Ingest thread only: holds an OVERLOAD verdict while it is delivered (copied if parked). */
  final VerdictRecord ingestScratch = new VerdictRecord();

  /** Inference thread only: the batch in which this source was last written to. */
  long flushEpoch = -1;

  protected FrameSource(String cameraId) {
    this.cameraId = cameraId;
  }

  public final String cameraId() {
    return cameraId;
  }

  /**
   * True for the service's own warm-up source ({@link WarmUpSource}): its verdicts go to {@link
   * VerdictListener#onWarmUpVerdict}, never to {@link VerdictListener#onVerdict}, and they are
   * marked {@link VerdictView#warmUp()}. Cameras are never warm-up sources.
   */
  public boolean warmUp() {
    return false;
  }

  /**
   * Writes one verdict to the peer. Must not block: queue the bytes and return. Called under this
   * source's monitor.
   */
  protected abstract void writeVerdict(VerdictView verdict);

  /** Pushes queued verdicts to the peer. Called under this source's monitor. */
  protected abstract void flush();

  /** Ingest thread: the arrival index of the frame being published now. */
  long claimArrival() {
    return nextArrival++;
  }

  /**
   * Ingest thread: this source's frames whose verdict has not been written yet (in the ring, or
   * refused and waiting for an earlier verdict).
   */
  long inFlight() {
    return nextArrival - writtenArrival;
  }

  /**
   * Ingest thread: whether every frame this source handed to the pipeline (published or refused)
   * has had its verdict written — what a connection that is being closed waits for, so that each
   * frame it received still gets its verdict before the close.
   */
  public final boolean allVerdictsWritten() {
    return inFlight() == 0;
  }

  /** Whether this source published a frame within {@code windowNs} before {@code nowNs}. */
  boolean activeAt(long nowNs, long windowNs) {
    long last = lastPublishNs;
    return last != 0 && nowNs - last - windowNs < 0;
  }

  /** Ingest thread: the index {@link #claimArrival()} returned last. */
  long currentArrival() {
    return nextArrival - 1;
  }

  /**
   * Delivers the verdict of arrival {@code arrival}: written now when every earlier arrival's
   * verdict has been written (then any parked successors follow), otherwise copied and parked.
   *
   * @return whether anything was written (the caller decides when to flush)
   */
  synchronized boolean deliver(
      long arrival, VerdictView verdict, VerdictListener listener, long nowNs) {
    if (arrival != writtenArrival) {
      parked.add(arrival).copyFrom(verdict);
      return false;
    }
    writtenArrival = arrival + 1; // first: whatever a write or a listener throws, order moves on
    writeAndObserve(verdict, listener);
    while (parked.size > 0 && parked.headArrival() == writtenArrival) {
      VerdictRecord next = parked.head();
      next.setEmittedNs(nowNs);
      writtenArrival++;
      try {
        writeAndObserve(next, listener);
      } finally {
        parked.removeHead();
      }
    }
    return true;
  }

  /**
   * Writes one verdict to the peer and hands it to the listener, each isolated: a peer write that
   * throws still lets the actuators and the audit see the verdict, and a listener that throws never
   * stops this camera's later verdicts.
   */
  private void writeAndObserve(VerdictView verdict, VerdictListener listener) {
    try {
      writeVerdict(verdict);
    } catch (RuntimeException | LinkageError | AssertionError e) {
      writeErrors()
          .error(
              "writing the verdict of "
                  + cameraId
                  + "#"
                  + Long.toUnsignedString(verdict.sequence())
                  + " failed: "
                  + e,
              e);
    }
    try {
      if (warmUp()) {
        listener.onWarmUpVerdict(verdict);
      } else {
        listener.onVerdict(verdict);
      }
    } catch (RuntimeException | LinkageError | AssertionError e) {
      writeErrors()
          .error(
              "a verdict listener failed on "
                  + cameraId
                  + "#"
                  + Long.toUnsignedString(verdict.sequence())
                  + ": "
                  + e,
              e);
    }
  }

  private ErrorLog writeErrors() {
    if (errors == null) {
      errors = new ErrorLog(LOG, "camera " + cameraId);
    }
    return errors;
  }

  /** Verdict writes (or un-isolated listeners) that threw for this source; guarded by this. */
  public synchronized long deliveryErrors() {
    return errors == null ? 0 : errors.count();
  }

  /** {@link #deliver} then, when something was written, {@link #flush()}. */
  synchronized void deliverAndFlush(
      long arrival, VerdictView verdict, VerdictListener listener, long nowNs) {
    if (deliver(arrival, verdict, listener, nowNs)) {
      safeFlush();
    }
  }

  /** {@link #flush()}, with an exception counted instead of thrown. Called under this monitor. */
  void safeFlush() {
    try {
      flush();
    } catch (RuntimeException | LinkageError | AssertionError e) {
      writeErrors().error("flushing verdicts failed: " + e, e);
    }
  }

  /**
   * A growable queue of reusable records, kept sorted by arrival, so parking allocates nothing in
   * steady state. Verdicts can be parked out of order (the watchdog may decide arrival 5 before the
   * inference thread emits arrival 4): each is inserted at its place, or a verdict parked behind a
   * later one would wait forever.
   */
  private static final class Parked {
    private long[] arrival = new long[16];
    private VerdictRecord[] records = newRecords(16);
    private int head;
    private int size;

    private static VerdictRecord[] newRecords(int n) {
      VerdictRecord[] r = new VerdictRecord[n];
      for (int i = 0; i < n; i++) {
        r[i] = new VerdictRecord();
      }
      return r;
    }

    VerdictRecord add(long a) {
      if (size == arrival.length) {
        grow();
      }
      int n = arrival.length;
      int i = (head + size) % n;
      VerdictRecord free = records[i];
      // Shift later arrivals one place back (rarely more than a few), then insert.
      while (i != head) {
        int prev = (i - 1 + n) % n;
        if (arrival[prev] < a) {
          break;
        }
        arrival[i] = arrival[prev];
        records[i] = records[prev];
        i = prev;
      }
      arrival[i] = a;
      records[i] = free;
      size++;
      return free;
    }

    long headArrival() {
      return arrival[head];
    }

    VerdictRecord head() {
      return records[head];
    }

    void removeHead() {
      records[head].release();
      head = (head + 1) % arrival.length;
      size--;
    }

    private void grow() {
      int n = arrival.length * 2;
      long[] a = new long[n];
      VerdictRecord[] r = newRecords(n);
      for (int k = 0; k < size; k++) {
        int from = (head + k) % arrival.length;
        a[k] = arrival[from];
        r[k] = records[from];
      }
      arrival = a;
      records = r;
      head = 0;
    }
  }
}
