package io.lineinspect.inference.djl;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The rule a model's raw output must follow, per frame, before it becomes a defect score: what the
 * manifest declares, checked, never repaired. A model that emits logits, NaN (a bad export, an fp16
 * overflow) or values outside its declared range has not judged the part; such a frame fails safe
 * INFERENCE_ERROR instead of getting a score that was clamped or summed into looking like one.
 *
 * <ul>
 *   <li>{@code CLASS_SCORES}: every class value finite and within [0, 1] (give or take {@value
 *       #VALUE_TOLERANCE}, float rounding), and the values sum to 1 within {@code
 *       output.sumTolerance} (default 0.01).
 *   <li>{@code ANOMALY_SCORE}: the value finite and within {@code output.range} (default [0, 1],
 *       give or take {@value #VALUE_TOLERANCE} of its width).
 *   <li>{@code ANOMALY_MAP}: the image score as ANOMALY_SCORE, and every value of the frame's
 *       per-pixel map finite and at least 0 ({@link #mapProblem}).
 * </ul>
 *
 * <p>Immutable; any thread. {@link #problem} allocates only when it finds one.
 */
final class OutputCheck {
  /** Rounding slack at the ends of a range (a softmax in float32 can miss 1 by an ulp or two). */
  static final double VALUE_TOLERANCE = 1e-5;

  private final boolean classScores;
  private final int outputs;
  private final int[] defectIndexes;
  private final List<String> classes;
  private final double sumTolerance;
  private final double min;
  private final double max;

  private final int mapFloats;

  OutputCheck(ModelManifest manifest) {
    this.mapFloats = manifest.mapFloats();
    ModelManifest.Output out = manifest.output();
    this.classScores = out.kind().equals("CLASS_SCORES");
    this.outputs = manifest.outputsPerFrame();
    this.classes = out.classes();
    this.defectIndexes =
        classScores
            ? out.defectClasses().stream().mapToInt(classes::indexOf).toArray()
            : new int[] {0};
    this.sumTolerance = out.sumToleranceOrDefault();
    this.min = out.rangeMin();
    this.max = out.rangeMax();
  }

  boolean classScores() {
    return classScores;
  }

  /**
   * Why frame {@code frame}'s values (at {@code values[frame * outputs ...]}) are not the output
   * the manifest declares, or null when they are.
   */
  String problem(float[] values, int frame) {
    int o = frame * outputs;
    if (!classScores) {
      float v = values[o];
      double tol = VALUE_TOLERANCE * (max - min);
      if (v >= min - tol && v <= max + tol) {
        return null;
      }
      return String.format(
          Locale.ROOT,
          "anomaly score %s is not a finite number within output.range [%s, %s]",
          v,
          min,
          max);
    }
    double sum = 0;
    int bad = -1;
    for (int k = 0; k < outputs; k++) {
      float v = values[o + k];
      if (!(v >= -VALUE_TOLERANCE && v <= 1 + VALUE_TOLERANCE) && bad < 0) {
        bad = k;
      }
      sum += v;
    }
    if (bad >= 0) {
      return String.format(
          Locale.ROOT,
          "class %s value %s is not a probability in [0, 1] (sum %s, values %s)",
          classes.get(bad),
          values[o + bad],
          (float) sum,
          Arrays.toString(Arrays.copyOfRange(values, o, o + outputs)));
    }
    if (!(Math.abs(sum - 1) <= sumTolerance)) {
      return String.format(
          Locale.ROOT,
          "class values sum to %s, not 1 within output.sumTolerance %s (values %s)",
          (float) sum,
          sumTolerance,
          Arrays.toString(Arrays.copyOfRange(values, o, o + outputs)));
    }
    return null;
  }

  /**
   * Why frame {@code frame}'s anomaly map (at {@code map[frame * mapFloats ...]}) is not one — a
   * value NaN, infinite or negative — or null when it is.
   */
  String mapProblem(float[] map, int frame) {
    int o = frame * mapFloats;
    for (int k = 0; k < mapFloats; k++) {
      float v = map[o + k];
      if (!(v >= 0 && v < Float.POSITIVE_INFINITY)) {
        return String.format(
            Locale.ROOT, "anomaly map value %s at pixel %d is not a finite number >= 0", v, k);
      }
    }
    return null;
  }

  /**
   * The defect score, in [0, 1], of a frame that passed {@link #problem}: CLASS_SCORES the defect
   * classes' share of the sum (so a sum the tolerance admits still yields a score within [0, 1]),
   * ANOMALY_SCORE the value mapped linearly from {@code output.range} onto [0, 1].
   */
  float score(float[] values, int frame) {
    int o = frame * outputs;
    double s;
    if (classScores) {
      double defect = 0;
      double total = 0;
      for (int k = 0; k < outputs; k++) {
        total += values[o + k];
      }
      for (int k : defectIndexes) {
        defect += values[o + k];
      }
      s = defect / total; // total >= 1 - sumTolerance >= 0.5: checked by problem()
    } else {
      s = (values[o] - min) / (max - min);
    }
    // Looks like the clamping this class exists to forbid, but is not: problem() admitted values
    // at most VALUE_TOLERANCE beyond the ends, so only float rounding is snapped here.
    return (float) (s < 0 ? 0 : s > 1 ? 1 : s);
  }

  /** What the model must emit, for messages. */
  String describe() {
    return classScores
        ? "class scores (" + outputs + " probabilities per frame summing to 1)"
        : "an anomaly score within [" + min + ", " + max + "]";
  }
}
