package io.lineinspect.camera.drop;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.emit.VerdictView;
import java.nio.file.Path;

/**
 * One image's verdict as the result sidecar file carries it ({@code <image>.result.json},
 * documented in {@code docs/drop.md}): copied from the pipeline's verdict on the thread that
 * decided it, written by the drop's result writer.
 */
record DropResult(
    Path image,
    String cameraId,
    long sequence,
    String verdict,
    boolean failSafe,
    String reason,
    float score,
    String label,
    String model,
    String modelVersion,
    long latencyUs,
    String detail) {

  static DropResult of(Path image, VerdictView v) {
    long latencyNs = v.emittedNs() - v.receivedNs();
    return new DropResult(
        image,
        v.cameraId(),
        v.sequence(),
        v.verdict().name(),
        v.reason() != ReasonCode.NONE,
        v.reason().name(),
        v.score(),
        v.label() == null ? "" : v.label(),
        v.model() == null ? "" : v.model().name(),
        v.model() == null ? "" : v.model().version(),
        Math.max(0, latencyNs / 1000),
        v.detail());
  }

  /** The sidecar's content: one JSON object on one line, keys in this fixed order. */
  String json() {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"camera\":");
    string(b, cameraId);
    b.append(",\"sequence\":").append(Long.toUnsignedString(sequence));
    b.append(",\"file\":");
    string(b, image.getFileName().toString());
    b.append(",\"verdict\":");
    string(b, verdict);
    b.append(",\"failSafe\":").append(failSafe);
    b.append(",\"reason\":");
    string(b, reason);
    b.append(",\"score\":");
    if (Float.isFinite(score)) {
      b.append(score);
    } else {
      b.append("null");
    }
    b.append(",\"label\":");
    string(b, label);
    b.append(",\"model\":");
    string(b, model);
    b.append(",\"modelVersion\":");
    string(b, modelVersion);
    b.append(",\"latencyUs\":").append(latencyUs);
    b.append(",\"detail\":");
    if (detail == null) {
      b.append("null");
    } else {
      string(b, detail);
    }
    return b.append("}\n").toString();
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
