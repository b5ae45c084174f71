package io.lineinspect.app.dashboard;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.ModelInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One judged part as the dashboard keeps it (the latest per camera, the recent FAIL parts): its
 * audit identity (camera, sequence, capture time, model) and what the verdict said. Immutable but
 * for {@link #archived}, which only the {@code dashboard} thread sets.
 */
final class Part {
  final String camera;
  final long sequence;
  final long captureUs;
  final Verdict verdict;
  final ReasonCode reason;
  final float score;
  final float threshold;
  final ModelInfo model;
  final String detail;
  final PixelFormat format;
  final long emittedNs;
  final long atUs;
  final long latencyUs;
  final long[] stagesUs;
  boolean archived;

  private Part(VerdictCopy c, long atUs) {
    camera = c.camera;
    sequence = c.sequence;
    captureUs = c.captureUs;
    verdict = c.verdict;
    reason = c.reason;
    score = c.score;
    model = c.model;
    threshold = c.model == null ? Float.NaN : c.model.threshold();
    detail = c.detail;
    format = c.format;
    emittedNs = c.emittedNs;
    this.atUs = atUs;
    latencyUs = (c.emittedNs - c.receivedNs) / 1_000;
    stagesUs =
        new long[] {
          span(c.receivedNs, c.preprocessStartNs),
          span(c.preprocessStartNs, c.preprocessedNs),
          span(c.preprocessedNs, c.inferStartNs),
          span(c.inferStartNs, c.inferEndNs),
          span(c.inferEndNs, c.emittedNs)
        };
  }

  private static long span(long from, long to) {
    return from == 0 || to == 0 ? -1 : (to - from) / 1_000;
  }

  static Part of(VerdictCopy c, long atUs) {
    return new Part(c, atUs);
  }

  /** {@code camera/sequence/captureUs}: the part's id in the dashboard's URLs. */
  String key() {
    return key(camera, sequence, captureUs);
  }

  static String key(String camera, long sequence, long captureUs) {
    return camera + "/" + sequence + "/" + captureUs;
  }

  /** Fail-safe: a verdict the model did not make (a reason other than NONE). */
  boolean failSafe() {
    return reason != ReasonCode.NONE;
  }

  Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("camera", camera);
    m.put("seq", sequence);
    m.put("captureUs", captureUs);
    m.put("verdict", verdict.name());
    m.put("failSafe", failSafe());
    m.put("reason", reason.name());
    m.put("detail", detail);
    m.put("score", Float.isFinite(score) ? (Object) DashboardFeed.round4(score) : null);
    m.put("threshold", Float.isFinite(threshold) ? (Object) DashboardFeed.round4(threshold) : null);
    m.put("model", model == null ? null : model.name());
    m.put("version", model == null ? null : model.version());
    m.put("latencyUs", latencyUs);
    m.put("atUs", atUs);
    return m;
  }

  /** The fields an audit record of this part has, for a part no audit record was found for. */
  Map<String, Object> asRecord() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cam", camera);
    m.put("frame", sequence);
    m.put("captureUs", captureUs);
    m.put("verdict", verdict.name());
    m.put("reason", reason.name());
    m.put("score", Float.isFinite(score) ? (Object) score : null);
    if (model != null) {
      m.put("model", model.name());
      m.put("version", model.version());
      m.put("sha256", model.sha256());
    }
    m.put("latencyUs", latencyUs);
    Map<String, Object> st = new LinkedHashMap<>();
    String[] names = {"queue", "preprocess", "batchWait", "inference", "emit"};
    for (int i = 0; i < names.length; i++) {
      if (stagesUs[i] >= 0) {
        st.put(names[i], stagesUs[i]);
      }
    }
    m.put("stagesUs", st);
    if (detail != null) {
      m.put("detail", detail);
    }
    m.put("type", "record");
    return m;
  }
}
