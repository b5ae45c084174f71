package io.lineinspect.inference.djl;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.quality.QualityLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a model file needs to be used correctly, written beside it as {@code manifest.yaml}: its
 * identity and checksum, the input it expects and how to prepare it, what its output means and the
 * decision threshold. Immutable; validated on load with messages naming the manifest file.
 *
 * @param name model name (required)
 * @param version model version (required)
 * @param engine {@code pytorch} (TorchScript, the default) or {@code onnxruntime} (an ONNX file run
 *     by DJL's OnnxRuntime engine, CPU)
 * @param file the model file, relative to the manifest (default {@code model.pt} for pytorch,
 *     {@code model.onnx} for onnxruntime)
 * @param sha256 hex SHA-256 of the file (required); a mismatch refuses the model
 * @param input input geometry and normalisation
 * @param output what the model returns
 * @param threshold defect score at or above which a part FAILs (0..1, required)
 * @param golden optional golden set shipped with the model: a {@code labels.csv} (relative to the
 *     manifest) of pinned images and their labels, checked before the model is served
 * @param quality optional limits a frame must keep to be judged by this model (fitness check),
 *     derived from the golden set with {@code inspect models quality}; limits left out (or the
 *     whole section) get the conservative defaults of {@link QualityLimits}
 * @param calibration how {@code threshold} was derived (required for {@code ANOMALY_MAP}: a model
 *     trained on good parts has no natural 0.5; its threshold comes from good images by a rule)
 */
@JsonIgnoreProperties({"trainedOn", "testAccuracy"})
public record ModelManifest(
    String name,
    String version,
    String engine,
    String file,
    String sha256,
    Input input,
    Output output,
    Double threshold,
    String golden,
    QualityLimits quality,
    Calibration calibration) {

  /** The engine names {@code engine} takes. */
  public static final List<String> ENGINES = List.of("pytorch", "onnxruntime");

  public ModelManifest {
    quality = quality == null ? QualityLimits.defaults() : quality;
  }

  /** {@code engine}, or {@code pytorch} when the manifest names none. */
  public String engineOrDefault() {
    return engine == null ? "pytorch" : engine;
  }

  /** True when the model is an ONNX file for DJL's OnnxRuntime engine. */
  public boolean onnx() {
    return engineOrDefault().equals("onnxruntime");
  }

  /**
   * How a threshold was derived from good images: {@code threshold = min(1, margin ×
   * quantileScore)} where {@code quantileScore} is the quantile {@code q} of the defect scores
   * (after {@code output.range}, as the service computes them) of {@code images} held-out good
   * images.
   *
   * @param rule {@code GOOD_QUANTILE} (the only rule so far)
   * @param quantile q, in (0, 1]
   * @param margin factor on the quantile, at least 1
   * @param images how many held-out good images the quantile was taken over
   * @param source where they came from (command, seed), for the audit
   * @param quantileScore the quantile measured (the threshold is checked against the rule)
   */
  public record Calibration(
      String rule,
      Double quantile,
      Double margin,
      Integer images,
      String source,
      Double quantileScore) {}

  /**
   * @param width model input width (required)
   * @param height model input height (required)
   * @param channels 1 (grey) or 3 (RGB, channel order R, G, B)
   * @param pixelFormat informational: the camera format the model was trained on
   * @param resize {@code AREA} or {@code LINEAR} interpolation when the frame size differs
   * @param mean per-channel mean subtracted after scaling pixels to 0..1
   * @param std per-channel standard deviation divided by after that
   * @param roi optional region of interest {@code [x, y, width, height]} in frame pixels, cut
   *     before resizing
   */
  public record Input(
      Integer width,
      Integer height,
      Integer channels,
      PixelFormat pixelFormat,
      String resize,
      List<Double> mean,
      List<Double> std,
      List<Integer> roi) {}

  /**
   * @param kind {@code CLASS_SCORES} (one probability per class; the defect score is the sum over
   *     {@code defectClasses}) or {@code ANOMALY_SCORE} (one value, the defect score)
   * @param classes class names in output order (CLASS_SCORES)
   * @param defectClasses the classes that mean "reject" (CLASS_SCORES)
   * @param sumTolerance CLASS_SCORES: how far a frame's class values may sum from 1 (default
   *     {@value #DEFAULT_SUM_TOLERANCE}); a frame beyond it fails safe INFERENCE_ERROR
   * @param range ANOMALY_SCORE: {@code [min, max]} of the model's value (default {@code [0, 1]}); a
   *     value outside it fails safe INFERENCE_ERROR, a value inside is mapped linearly onto the
   *     defect score 0..1 that {@code threshold} applies to
   * @param mapWidth ANOMALY_MAP: width of the per-pixel anomaly map (the model's second output)
   * @param mapHeight ANOMALY_MAP: its height
   */
  public record Output(
      String kind,
      List<String> classes,
      List<String> defectClasses,
      Double sumTolerance,
      List<Double> range,
      Integer mapWidth,
      Integer mapHeight) {

    /** {@code sumTolerance} when the manifest gives none. */
    public static final double DEFAULT_SUM_TOLERANCE = 0.01;

    /** The declared sum tolerance (CLASS_SCORES), or the default. */
    public double sumToleranceOrDefault() {
      return sumTolerance == null ? DEFAULT_SUM_TOLERANCE : sumTolerance;
    }

    /** The declared lower end of the value range (ANOMALY_SCORE), or 0. */
    public double rangeMin() {
      return range == null ? 0.0 : range.get(0);
    }

    /** The declared upper end of the value range (ANOMALY_SCORE), or 1. */
    public double rangeMax() {
      return range == null ? 1.0 : range.get(1);
    }
  }

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Loads and validates a manifest; every problem is a {@link ModelException} naming the file. */
  public static ModelManifest load(Path path) {
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      throw new ModelException(path + ": model manifest not found");
    } catch (IOException e) {
      throw new ModelException(path + ": cannot read: " + e.getMessage());
    }
    return parse(text, path);
  }

  /**
   * Parses and validates manifest text read from {@code path} (which names it in messages and
   * resolves nothing); every problem is a {@link ModelException}.
   */
  public static ModelManifest parse(String text, Path path) {
    ModelManifest m;
    try {
      m = YAML.readValue(text, ModelManifest.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ModelException(path + ": unknown key '" + e.getPropertyName() + "'");
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof QualityLimits.InvalidLimit q) {
        throw new ModelException(path + ": quality." + q.getMessage());
      }
      throw new ModelException(path + ": not a valid manifest: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ModelException(path + ": not a valid manifest: " + e.getOriginalMessage());
    }
    if (m == null) {
      throw new ModelException(path + ": manifest is empty");
    }
    m.validate(path);
    return m;
  }

  private void validate(Path path) {
    require(path, name != null && !name.isBlank(), "name is required");
    require(path, version != null && !version.isBlank(), "version is required");
    require(
        path,
        engine == null || ENGINES.contains(engine),
        "engine must be one of " + ENGINES + ", got " + engine);
    require(
        path, sha256 != null && sha256.matches("[0-9a-fA-F]{64}"), "sha256 must be 64 hex digits");
    require(
        path,
        threshold != null && threshold >= 0 && threshold <= 1,
        "threshold must be within 0..1");
    require(path, input != null, "input is required");
    require(path, input.width() != null && input.width() > 0, "input.width is required");
    require(path, input.height() != null && input.height() > 0, "input.height is required");
    require(
        path,
        input.channels() != null && (input.channels() == 1 || input.channels() == 3),
        "input.channels must be 1 or 3");
    require(
        path,
        input.resize() == null || input.resize().equals("AREA") || input.resize().equals("LINEAR"),
        "input.resize must be AREA or LINEAR");
    require(
        path,
        input.mean() != null
            && input.mean().size() == input.channels()
            && input.mean().stream().allMatch(v -> v != null && Double.isFinite(v)),
        "input.mean needs one finite value per channel");
    require(
        path,
        input.std() != null
            && input.std().size() == input.channels()
            && input.std().stream().allMatch(v -> v != null && Double.isFinite(v) && v > 0),
        "input.std needs one positive finite value per channel");
    require(
        path,
        input.roi() == null
            || (input.roi().size() == 4 && input.roi().stream().allMatch(v -> v != null)),
        "input.roi must be [x, y, width, height]");
    require(path, output != null && output.kind() != null, "output.kind is required");
    if (output.kind().equals("CLASS_SCORES")) {
      require(
          path,
          output.classes() != null
              && output.classes().size() >= 2
              && output.classes().stream().allMatch(c -> c != null && !c.isBlank()),
          "output.classes needs 2+ names");
      require(
          path,
          output.defectClasses() != null
              && !output.defectClasses().isEmpty()
              && output.classes().containsAll(output.defectClasses()),
          "output.defectClasses must name classes from output.classes");
      require(
          path,
          output.sumTolerance() == null
              || (output.sumTolerance() > 0 && output.sumTolerance() <= 0.5),
          "output.sumTolerance must be above 0 and at most 0.5");
      require(path, output.range() == null, "output.range is for ANOMALY_SCORE only");
    } else {
      require(
          path,
          output.kind().equals("ANOMALY_SCORE") || output.kind().equals("ANOMALY_MAP"),
          "output.kind must be CLASS_SCORES, ANOMALY_SCORE or ANOMALY_MAP, got " + output.kind());
      if (output.kind().equals("ANOMALY_MAP")) {
        require(
            path,
            output.mapWidth() != null
                && output.mapWidth() > 0
                && output.mapHeight() != null
                && output.mapHeight() > 0,
            "output.mapWidth and output.mapHeight are required for ANOMALY_MAP");
        require(
            path,
            calibration != null,
            "calibration is required for ANOMALY_MAP (how threshold was derived from good images)");
        require(
            path,
            "GOOD_QUANTILE".equals(calibration.rule()),
            "calibration.rule must be GOOD_QUANTILE, got " + calibration.rule());
        require(
            path,
            calibration.quantile() != null
                && calibration.quantile() > 0
                && calibration.quantile() <= 1,
            "calibration.quantile must be within (0, 1]");
        require(
            path,
            calibration.margin() != null && calibration.margin() >= 1,
            "calibration.margin must be at least 1");
        require(
            path,
            calibration.images() != null && calibration.images() > 0,
            "calibration.images must be the number of good images used (> 0)");
        require(
            path,
            calibration.quantileScore() != null
                && Math.abs(
                        Math.min(1.0, calibration.margin() * calibration.quantileScore())
                            - threshold)
                    <= 1e-4,
            "threshold "
                + threshold
                + " does not follow calibration: min(1, margin × quantileScore)");
      } else {
        require(
            path,
            output.mapWidth() == null && output.mapHeight() == null,
            "output.mapWidth/mapHeight are for ANOMALY_MAP only");
      }
      require(path, output.sumTolerance() == null, "output.sumTolerance is for CLASS_SCORES only");
      require(
          path,
          output.range() == null
              || (output.range().size() == 2
                  && output.range().stream().allMatch(v -> v != null && Double.isFinite(v))
                  && output.range().get(0) < output.range().get(1)),
          "output.range must be [min, max] with finite min < max");
    }
  }

  private static void require(Path path, boolean ok, String message) {
    if (!ok) {
      throw new ModelException(path + ": " + message);
    }
  }

  /** The model file, resolved against the manifest's directory. */
  public Path modelFile(Path manifestPath) {
    String f = file != null ? file : onnx() ? "model.onnx" : "model.pt";
    return manifestPath.toAbsolutePath().getParent().resolve(f);
  }

  /** The golden set's {@code labels.csv}, resolved against the manifest's directory, or null. */
  public Path goldenFile(Path manifestPath) {
    return golden == null ? null : manifestPath.toAbsolutePath().getParent().resolve(golden);
  }

  /** Values the model returns per frame. */
  public int outputsPerFrame() {
    return output.kind().equals("CLASS_SCORES") ? output.classes().size() : 1;
  }

  /** True for {@code ANOMALY_MAP}: a second output, the per-pixel map. */
  public boolean anomalyMap() {
    return output.kind().equals("ANOMALY_MAP");
  }

  /** Values of the anomaly map per frame (ANOMALY_MAP), else 0. */
  public int mapFloats() {
    return anomalyMap() ? output.mapWidth() * output.mapHeight() : 0;
  }

  /** The model input as the fitness check reads it back: {@code pixel/255 = x · std + mean}. */
  public InputLayout inputLayout() {
    float[] mean = new float[input.channels()];
    float[] std = new float[input.channels()];
    for (int c = 0; c < mean.length; c++) {
      mean[c] = input.mean().get(c).floatValue();
      std[c] = input.std().get(c).floatValue();
    }
    return new InputLayout(input.channels(), input.width(), input.height(), mean, std);
  }

  /** Floats of model input per frame. */
  public int inputFloats() {
    return input.channels() * input.width() * input.height();
  }
}
