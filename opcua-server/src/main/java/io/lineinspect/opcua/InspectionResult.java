package io.lineinspect.opcua;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One verdict as the audit chain recorded it ({@code "type":"record"} lines, {@code
 * docs/operations.md#audit-trail}), immutable: what the OPC UA clients see as a result.
 *
 * @param resultId the audit record number {@code n}: the result's identity, consecutive across
 *     restarts
 * @param hash the line's chain hash (64 hex digits)
 * @param line the audit line itself (UTF-8 JSON, verifiable against the trail)
 * @param camera camera id
 * @param sequence the camera's frame sequence number
 * @param receivedUs when the service received the frame (epoch µs)
 * @param verdict {@code PASS} or {@code FAIL}
 * @param reason {@code NONE} when the model judged the part, else the fail-safe reason
 * @param score the defect score, NaN when not scored
 * @param label the model's label, "" when none
 * @param model {@code name@version} of the model that judged, "" when none did
 * @param latencyUs receipt to verdict
 * @param stagesUs queue, preprocess, batch wait, inference, emit (µs; -1 when a stage did not run)
 * @param detail the fail-safe detail text, "" when none
 */
public record InspectionResult(
    long resultId,
    String hash,
    String line,
    String camera,
    long sequence,
    long receivedUs,
    String verdict,
    String reason,
    double score,
    String label,
    String model,
    long latencyUs,
    long[] stagesUs,
    String detail) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] STAGES = {"queue", "preprocess", "batchWait", "inference", "emit"};

  /** ResultState of a PASS the model judged (OK). */
  public static final int STATE_OK = 1;

  /** ResultState of a FAIL the model judged (NG). */
  public static final int STATE_NG = 2;

  /** ResultState of a fail-safe verdict: the part was not judged (deadline, overload, …). */
  public static final int STATE_FAIL_SAFE = 3;

  /**
   * The result of an audit line, or null when the line is not a verdict record.
   *
   * @throws IOException when a record line cannot be read (never expected: the audit writes them)
   */
  static InspectionResult parse(byte[] bytes, int offset, int length) throws IOException {
    if (!contains(bytes, offset, length, TYPE_RECORD)) {
      return null;
    }
    JsonNode n = JSON.readTree(bytes, offset, length);
    if (!"record".equals(n.path("type").asText())) {
      return null;
    }
    long[] stages = new long[STAGES.length];
    JsonNode s = n.path("stagesUs");
    for (int i = 0; i < STAGES.length; i++) {
      JsonNode v = s.path(STAGES[i]);
      stages[i] = v.isNumber() ? v.asLong() : -1;
    }
    JsonNode score = n.path("score");
    String model = n.path("model").isTextual() ? n.path("model").asText() : "";
    if (!model.isEmpty() && n.path("version").isTextual()) {
      model = model + "@" + n.path("version").asText();
    }
    return new InspectionResult(
        n.path("n").asLong(),
        n.path("hash").asText(""),
        new String(bytes, offset, length, StandardCharsets.UTF_8),
        n.path("cam").asText(""),
        n.path("frame").asLong(),
        n.path("receivedUs").asLong(),
        n.path("verdict").asText(""),
        n.path("reason").asText(""),
        score.isNumber() ? score.asDouble() : Double.NaN,
        n.path("label").asText(""),
        model,
        n.path("latencyUs").asLong(),
        stages,
        n.path("detail").asText(""));
  }

  private static final byte[] TYPE_RECORD =
      "\"type\":\"record\"".getBytes(StandardCharsets.US_ASCII);

  private static boolean contains(byte[] b, int off, int len, byte[] what) {
    outer:
    for (int i = off + len - what.length; i >= off; i--) {
      for (int j = 0; j < what.length; j++) {
        if (b[i + j] != what[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** True when the model judged the part (reason {@code NONE}). */
  public boolean judged() {
    return "NONE".equals(reason);
  }

  /** OPC 40100 ResultState as this service maps it: 1 OK, 2 NG, 3 fail-safe (not judged). */
  public int resultState() {
    if (!judged()) {
      return STATE_FAIL_SAFE;
    }
    return "PASS".equals(verdict) ? STATE_OK : STATE_NG;
  }

  /** The part's identity: {@code camera/sequence}. */
  public String partId() {
    return camera + "/" + sequence;
  }

  /** True for FAIL and fail-safe verdicts (what {@code opcua.events: failures} raises). */
  public boolean failure() {
    return !judged() || !"PASS".equals(verdict);
  }

  /** Receipt to verdict, then each stage, in milliseconds (NaN for a stage that did not run). */
  public double[] processingTimesMs() {
    double[] t = new double[1 + stagesUs.length];
    t[0] = latencyUs / 1000.0;
    for (int i = 0; i < stagesUs.length; i++) {
      t[i + 1] = stagesUs[i] < 0 ? Double.NaN : stagesUs[i] / 1000.0;
    }
    return t;
  }
}
