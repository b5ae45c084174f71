package io.lineinspect.core.pipeline;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import java.util.ArrayList;
import java.util.List;

/** A frame source that records every verdict written to it (copied, since views are reused). */
public final class RecordingSource extends FrameSource {
  /** One copied verdict. */
  public record Written(
      long sequence,
      Verdict verdict,
      ReasonCode reason,
      float score,
      long latencyNs,
      String detail) {}

  private final List<Written> written = new ArrayList<>();
  private int flushes;

  public RecordingSource(String cameraId) {
    super(cameraId);
  }

  @Override
  protected void writeVerdict(VerdictView v) {
    written.add(
        new Written(
            v.sequence(),
            v.verdict(),
            v.reason(),
            v.score(),
            v.emittedNs() - v.receivedNs(),
            v.detail()));
  }

  @Override
  protected void flush() {
    flushes++;
  }

  public synchronized List<Written> written() {
    return new ArrayList<>(written);
  }

  public synchronized int count() {
    return written.size();
  }
}
