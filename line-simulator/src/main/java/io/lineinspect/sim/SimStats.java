package io.lineinspect.sim;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What simulated cameras saw, scored against the renderer's ground truth: frames sent, verdicts
 * received (and any duplicate, unknown or out-of-order ones), PASS/FAIL, fail-safe reasons, a
 * confusion matrix (positive = defective part / FAIL verdict), and latency histograms measured by
 * the camera (scheduled capture to verdict received) and reported by the service. Thread-safe;
 * shared by the cameras of one run.
 */
public final class SimStats {
  private static final long MAX_US = 60_000_000L;

  private final LongAdder sent = new LongAdder();
  private final LongAdder verdicts = new LongAdder();
  private final LongAdder duplicate = new LongAdder();
  private final LongAdder unknown = new LongAdder();
  private final LongAdder outOfOrder = new LongAdder();
  private final LongAdder pass = new LongAdder();
  private final LongAdder fail = new LongAdder();
  private final LongAdder truePositive = new LongAdder();
  private final LongAdder falsePositive = new LongAdder();
  private final LongAdder trueNegative = new LongAdder();
  private final LongAdder falseNegative = new LongAdder();
  private final LongAdder judged = new LongAdder();
  private final LongAdder judgedCorrect = new LongAdder();
  private final LongAdder defectiveSent = new LongAdder();
  private final LongAdder[] reasons = new LongAdder[ReasonCode.all().length];
  private final Map<ErrorCode, LongAdder> errors = new EnumMap<>(ErrorCode.class);
  private final Recorder roundTripUs = new Recorder(1, MAX_US, 3);
  private final Recorder serviceUs = new Recorder(1, MAX_US, 3);
  private final Histogram roundTripTotal = new Histogram(1, MAX_US, 3);
  private final Histogram serviceTotal = new Histogram(1, MAX_US, 3);

  /** One part that went down the simulated belt, for judging what the reject gate did. */
  public record Part(String cameraId, long sequence, long captureUs, boolean defective) {}

  /** Parts are logged only when asked for (the demo's reject gate), at most this many. */
  private static final int MAX_LOGGED_PARTS = 2_000_000;

  private final java.util.List<Part> parts = new java.util.ArrayList<>();
  private volatile boolean logParts;

  /** Keeps every part sent from now on (for {@link SimulatedRejectGate#judge}). */
  public void logParts() {
    logParts = true;
  }

  /** The parts logged so far. */
  public synchronized java.util.List<Part> parts() {
    return java.util.List.copyOf(parts);
  }

  void onPart(String cameraId, long sequence, long captureUs, boolean defective) {
    if (logParts) {
      synchronized (this) {
        if (parts.size() < MAX_LOGGED_PARTS) {
          parts.add(new Part(cameraId, sequence, captureUs, defective));
        }
      }
    }
  }

  public SimStats() {
    for (int i = 0; i < reasons.length; i++) {
      reasons[i] = new LongAdder();
    }
    for (ErrorCode c : ErrorCode.values()) {
      errors.put(c, new LongAdder());
    }
  }

  void onSent(boolean defective) {
    sent.increment();
    if (defective) {
      defectiveSent.increment();
    }
  }

  /**
   * Starts the first-second window at {@code readyNs} ({@link System#nanoTime()}, the moment the
   * service became ready): parts whose scheduled capture falls within the second after it are
   * counted by {@link Snapshot#firstSecondParts()} and {@link Snapshot#failSafeFirstSecond()} —
   * what a line restarted at a shift change would scrap or ship uninspected.
   */
  public void markReady(long readyNs) {
    this.readyNs = readyNs;
    this.readyMarked = true;
  }

  private volatile long readyNs;
  private volatile boolean readyMarked;
  private final LongAdder firstSecondParts = new LongAdder();
  private final LongAdder failSafeFirstSecond = new LongAdder();

  void onVerdict(
      Verdict verdict,
      ReasonCode reason,
      boolean defective,
      long roundTripNs,
      long serviceLatencyUs) {
    onVerdict(verdict, reason, defective, roundTripNs, serviceLatencyUs, Long.MIN_VALUE);
  }

  /** As above; {@code captureNs} is the part's scheduled capture on {@link System#nanoTime()}. */
  void onVerdict(
      Verdict verdict,
      ReasonCode reason,
      boolean defective,
      long roundTripNs,
      long serviceLatencyUs,
      long captureNs) {
    if (readyMarked && captureNs != Long.MIN_VALUE) {
      long sinceReady = captureNs - readyNs;
      if (sinceReady >= 0 && sinceReady < 1_000_000_000L) {
        firstSecondParts.increment();
        if (reason.isFailSafe()) {
          failSafeFirstSecond.increment();
        }
      }
    }
    verdicts.increment();
    boolean rejected = verdict == Verdict.FAIL;
    (rejected ? fail : pass).increment();
    reasons[reason.ordinal()].increment();
    if (rejected) {
      (defective ? truePositive : falsePositive).increment();
    } else {
      (defective ? falseNegative : trueNegative).increment();
    }
    if (!reason.isFailSafe()) {
      judged.increment();
      if (rejected == defective) {
        judgedCorrect.increment();
      }
    }
    roundTripUs.recordValue(Math.min(MAX_US, Math.max(1, roundTripNs / 1_000)));
    serviceUs.recordValue(Math.min(MAX_US, Math.max(1, serviceLatencyUs)));
  }

  void onDuplicate() {
    duplicate.increment();
  }

  void onUnknown() {
    unknown.increment();
  }

  void onOutOfOrder() {
    outOfOrder.increment();
  }

  void onError(ErrorCode code) {
    if (code != null) {
      errors.get(code).increment();
    }
  }

  /** Aggregated figures so far. Call from one reader thread at a time. */
  public synchronized Snapshot snapshot() {
    roundTripTotal.add(roundTripUs.getIntervalHistogram());
    serviceTotal.add(serviceUs.getIntervalHistogram());
    Map<ReasonCode, Long> byReason = new EnumMap<>(ReasonCode.class);
    for (ReasonCode r : ReasonCode.all()) {
      byReason.put(r, reasons[r.ordinal()].sum());
    }
    Map<ErrorCode, Long> errorCounts = new EnumMap<>(ErrorCode.class);
    errors.forEach(
        (c, n) -> {
          if (n.sum() > 0) {
            errorCounts.put(c, n.sum());
          }
        });
    return new Snapshot(
        sent.sum(),
        defectiveSent.sum(),
        verdicts.sum(),
        duplicate.sum(),
        unknown.sum(),
        outOfOrder.sum(),
        pass.sum(),
        fail.sum(),
        Map.copyOf(byReason),
        Map.copyOf(errorCounts),
        truePositive.sum(),
        falsePositive.sum(),
        trueNegative.sum(),
        falseNegative.sum(),
        judged.sum(),
        judgedCorrect.sum(),
        roundTripTotal.getValueAtPercentile(50),
        roundTripTotal.getValueAtPercentile(99),
        roundTripTotal.getValueAtPercentile(99.9),
        roundTripTotal.getMaxValue(),
        serviceTotal.getValueAtPercentile(50),
        serviceTotal.getValueAtPercentile(99),
        serviceTotal.getMaxValue(),
        firstSecondParts.sum(),
        failSafeFirstSecond.sum());
  }

  /**
   * Figures of a run; latencies in microseconds. {@code firstSecondParts} / {@code
   * failSafeFirstSecond}: parts captured within the second after {@link #markReady} (0 when it was
   * not called), and how many of them got a fail-safe verdict.
   */
  public record Snapshot(
      long sent,
      long defectiveSent,
      long verdicts,
      long duplicateVerdicts,
      long unknownVerdicts,
      long outOfOrderVerdicts,
      long pass,
      long fail,
      Map<ReasonCode, Long> byReason,
      Map<ErrorCode, Long> errors,
      long truePositive,
      long falsePositive,
      long trueNegative,
      long falseNegative,
      long judged,
      long judgedCorrect,
      long roundTripP50Us,
      long roundTripP99Us,
      long roundTripP999Us,
      long roundTripMaxUs,
      long serviceP50Us,
      long serviceP99Us,
      long serviceMaxUs,
      long firstSecondParts,
      long failSafeFirstSecond) {

    /** Frames sent that never got a verdict. */
    public long withoutVerdict() {
      return sent - (verdicts - duplicateVerdicts - unknownVerdicts);
    }

    public long failSafe() {
      return byReason.entrySet().stream()
          .filter(e -> e.getKey().isFailSafe())
          .mapToLong(Map.Entry::getValue)
          .sum();
    }

    /** Share of all verdicts that match the ground truth (fail-safe verdicts included). */
    public double accuracy() {
      long n = truePositive + falsePositive + trueNegative + falseNegative;
      return n == 0 ? Double.NaN : (double) (truePositive + trueNegative) / n;
    }

    /** Share of model-judged verdicts (not fail-safe) that match the ground truth. */
    public double modelAccuracy() {
      return judged == 0 ? Double.NaN : (double) judgedCorrect / judged;
    }
  }
}
