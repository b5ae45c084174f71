package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;

/**
 * One producer of frames (a camera connection) and the place its verdicts go back to.
 *
 * <p>The base class keeps the per-camera promise that verdicts leave <b>in the order the frames
 * arrived</b>, even when some are decided at ingest (OVERLOAD, while earlier frames are still in
 * the ring) and the rest by the pipeline: each frame gets an arrival index on the ingest thread; a
 * verdict is written only when every earlier arrival's verdict has been written, otherwise it is
 * parked in a small per-source queue and written right after its predecessor.
 *
 * <p>Threading: {@link #claimArrival()} runs on the source's single ingest thread; delivery runs on
 * the inference thread or the ingest thread, serialised by this object's monitor. Subclasses
 * implement {@link #writeVerdict} and {@link #flush()}, which are called under that monitor.
 */
public abstract class FrameSource {
  private final String cameraId;

  /** Next arrival index; ingest thread only. */
  private long nextArrival;

  /** Arrivals below this have had their verdict written; guarded by this. */
  private long writtenArrival;

  /** Verdicts decided at ingest that wait for an earlier verdict; guarded by this. */
  private final Parked parked = new Parked();

  /** Inference thread only: the batch in which this source was last written to. */
  long flushEpoch = -1;

  protected FrameSource(String cameraId) {
    this.cameraId = cameraId;
  }

  public final String cameraId() {
    return cameraId;
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

  /** Ingest thread: the index {@link #claimArrival()} returned last. */
  long currentArrival() {
    return nextArrival - 1;
  }

  /** Pipeline thread: emits a ring entry's verdict, after any parked predecessors. */
  synchronized void deliver(FrameEvent event, VerdictListener listener, long nowNs) {
    drainParked(event.arrival(), listener, nowNs);
    writeVerdict(event);
    listener.onVerdict(event);
    writtenArrival = event.arrival() + 1;
    drainParked(Long.MAX_VALUE, listener, nowNs);
  }

  /**
   * Ingest thread: a verdict decided before the frame entered the ring. Written now when nothing
   * earlier is pending, otherwise parked until its predecessor is written.
   */
  synchronized void deliverAtIngest(
      long arrival,
      FrameTranslator frame,
      Verdict verdict,
      ReasonCode reason,
      String detail,
      long nowNs,
      VerdictListener listener) {
    parked.add(arrival, frame, verdict, reason, detail);
    if (drainParked(Long.MAX_VALUE, listener, nowNs)) {
      flush();
    }
  }

  /**
   * Writes parked verdicts whose turn has come and whose arrival is below {@code limit}.
   *
   * @return whether anything was written
   */
  private boolean drainParked(long limit, VerdictListener listener, long nowNs) {
    boolean wrote = false;
    while (parked.size > 0) {
      long arrival = parked.headArrival();
      if (arrival >= limit || arrival != writtenArrival) {
        break;
      }
      ParkedVerdict view = parked.head(this, nowNs);
      writeVerdict(view);
      listener.onVerdict(view);
      writtenArrival = arrival + 1;
      parked.removeHead();
      wrote = true;
    }
    return wrote;
  }

  /**
   * A growable FIFO of parked verdicts in columns, so parking allocates nothing in steady state.
   */
  private static final class Parked {
    private long[] arrival = new long[16];
    private long[] sequence = new long[16];
    private long[] receivedNs = new long[16];
    private long[] captureTimeUs = new long[16];
    private long[] encoderCount = new long[16];
    private boolean[] hasEncoder = new boolean[16];
    private Verdict[] verdict = new Verdict[16];
    private ReasonCode[] reason = new ReasonCode[16];
    private String[] detail = new String[16];
    private int head;
    private int size;
    private final ParkedVerdict view = new ParkedVerdict();

    void add(long a, FrameTranslator f, Verdict v, ReasonCode r, String d) {
      if (size == arrival.length) {
        grow();
      }
      int i = (head + size) % arrival.length;
      arrival[i] = a;
      sequence[i] = f.sequence();
      receivedNs[i] = f.receivedNs();
      captureTimeUs[i] = f.captureTimeUs();
      encoderCount[i] = f.encoderCount();
      hasEncoder[i] = f.hasEncoderCount();
      verdict[i] = v;
      reason[i] = r;
      detail[i] = d;
      size++;
    }

    long headArrival() {
      return arrival[head];
    }

    ParkedVerdict head(FrameSource source, long nowNs) {
      int i = head;
      view.source = source;
      view.sequence = sequence[i];
      view.receivedNs = receivedNs[i];
      view.captureTimeUs = captureTimeUs[i];
      view.encoderCount = encoderCount[i];
      view.hasEncoder = hasEncoder[i];
      view.verdict = verdict[i];
      view.reason = reason[i];
      view.detail = detail[i];
      view.emittedNs = nowNs;
      return view;
    }

    void removeHead() {
      detail[head] = null;
      head = (head + 1) % arrival.length;
      size--;
    }

    private void grow() {
      int n = arrival.length * 2;
      arrival = copy(arrival, n);
      sequence = copy(sequence, n);
      receivedNs = copy(receivedNs, n);
      captureTimeUs = copy(captureTimeUs, n);
      encoderCount = copy(encoderCount, n);
      boolean[] he = new boolean[n];
      Verdict[] v = new Verdict[n];
      ReasonCode[] r = new ReasonCode[n];
      String[] d = new String[n];
      for (int k = 0; k < size; k++) {
        int from = (head + k) % hasEncoder.length;
        he[k] = hasEncoder[from];
        v[k] = verdict[from];
        r[k] = reason[from];
        d[k] = detail[from];
      }
      hasEncoder = he;
      verdict = v;
      reason = r;
      detail = d;
      head = 0;
    }

    private long[] copy(long[] src, int n) {
      long[] dst = new long[n];
      for (int k = 0; k < size; k++) {
        dst[k] = src[(head + k) % src.length];
      }
      return dst;
    }
  }

  /** The reusable view of a parked verdict. */
  private static final class ParkedVerdict implements VerdictView {
    FrameSource source;
    long sequence;
    long receivedNs;
    long captureTimeUs;
    long encoderCount;
    boolean hasEncoder;
    Verdict verdict;
    ReasonCode reason;
    String detail;
    long emittedNs;

    @Override
    public String cameraId() {
      return source.cameraId();
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
      return hasEncoder;
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
      return Float.NaN;
    }

    @Override
    public String label() {
      return "";
    }

    @Override
    public ModelInfo model() {
      return null;
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
}
