package io.lineinspect.app.dashboard;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.ModelInfo;

/**
 * One preallocated slot of the dashboard's hand-off ring: the fields of a verdict the dashboard
 * shows, copied on the line's thread without allocating (strings and the model are immutable and
 * kept by reference). Owned by the ring; filled by {@link DashboardFeed#onVerdict}, read by the
 * {@code dashboard} thread.
 */
final class VerdictCopy {
  String camera;
  long sequence;
  long captureUs;
  Verdict verdict;
  ReasonCode reason;
  float score;
  ModelInfo model;
  String detail;
  PixelFormat format;
  long receivedNs;
  long emittedNs;
  long preprocessStartNs;
  long preprocessedNs;
  long inferStartNs;
  long inferEndNs;

  void copyFrom(VerdictView v) {
    camera = v.cameraId();
    sequence = v.sequence();
    captureUs = v.captureTimeUs();
    verdict = v.verdict();
    reason = v.reason();
    score = v.score();
    model = v.model();
    detail = v.detail();
    format = v.format();
    receivedNs = v.receivedNs();
    emittedNs = v.emittedNs();
    preprocessStartNs = v.preprocessStartNs();
    preprocessedNs = v.preprocessedNs();
    inferStartNs = v.inferStartNs();
    inferEndNs = v.inferEndNs();
  }

  void clear() {
    camera = null;
    model = null;
    detail = null;
  }
}
