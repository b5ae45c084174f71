package io.lineinspect.inference.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.health.ErrorLog;
import io.lineinspect.core.inference.GuardedBackend;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.quality.QualityLimits;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a TorchScript model through DJL's PyTorch engine, or an ONNX model through DJL's OnnxRuntime
 * engine (manifest {@code engine: onnxruntime}; CPU only, natives from the onnxruntime jar).
 * PyTorch runs on CUDA when a GPU is visible (or {@code device: gpu}), the CPU otherwise. The model
 * is refused, with a message naming the file, when its manifest is invalid, the file is missing,
 * its SHA-256 differs from the manifest, it does not load as TorchScript, or its output for a probe
 * batch does not have the shape and the values the manifest declares ({@link OutputCheck}:
 * probabilities summing to 1, or an anomaly score in its range).
 *
 * <p>While serving, every frame's output is checked by the same rule: a frame whose values break it
 * fails safe INFERENCE_ERROR with the values and the rule in its detail (the other frames of the
 * batch keep their verdicts), is counted ({@link #outputErrors()}) and logged (the 1st, 2nd, 4th,
 * 8th … time). Nothing is clamped: an out-of-range value is an error, not a score.
 *
 * <p>Natives come only from the Maven artifacts on the class path; DJL's offline mode is switched
 * on, so nothing is ever downloaded at run time.
 *
 * <p>Threading: one {@link Predictor} per {@link #newSession()} (one per inference thread); native
 * memory of each batch lives in a sub-manager closed right after the batch. {@link #close()} may be
 * called while sessions are open, even inside a forward pass: the model is closed when the last
 * session is, after its inference returned ({@link GuardedBackend}).
 */
public final class DjlBackend extends GuardedBackend {
  private static final System.Logger LOG = System.getLogger(DjlBackend.class.getName());

  private final ModelManifest manifest;
  private final InputLayout layout;
  private final ModelInfo info;
  private final ZooModel<NDList, NDList> model;
  private final Device device;
  private final int maxBatch;
  private final OutputCheck check;
  private final Path goldenFile;
  private final AtomicLong outputErrors = new AtomicLong();

  private DjlBackend(
      ModelManifest manifest,
      ModelInfo info,
      ZooModel<NDList, NDList> model,
      Device device,
      int maxBatch,
      Path goldenFile) {
    this.goldenFile = goldenFile;
    this.manifest = manifest;
    this.layout = manifest.inputLayout();
    this.info = info;
    this.model = model;
    this.device = device;
    this.maxBatch = maxBatch;
    this.check = new OutputCheck(manifest);
  }

  /**
   * Loads and checks the model described by {@code config.manifest()} (resolved against {@code
   * home} when relative).
   *
   * @throws ModelException when the model cannot be used; the message names the file and why
   */
  public static DjlBackend load(DjlBackendConfig config, Path home) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (config.threads() > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(config.threads()));
    }
    Path manifestPath = home.resolve(config.manifest());
    ModelManifest manifest = ModelManifest.load(manifestPath);
    Path file = manifest.modelFile(manifestPath);
    if (!Files.isRegularFile(file)) {
      throw new ModelException(file + ": model file not found (named by " + manifestPath + ")");
    }
    String actual = sha256(file);
    if (!actual.equalsIgnoreCase(manifest.sha256())) {
      throw new ModelException(
          file
              + ": SHA-256 is "
              + actual
              + " but "
              + manifestPath
              + " says "
              + manifest.sha256()
              + "; refusing a model that is not the one described");
    }
    String engineName = manifest.onnx() ? "OnnxRuntime" : "PyTorch";
    Engine engine;
    try {
      engine = Engine.getEngine(engineName);
    } catch (RuntimeException | LinkageError e) {
      throw new ModelException(
          "the " + engineName + " engine cannot start (for " + file + "): " + e.getMessage(), e);
    }
    Device device;
    if (manifest.onnx()) {
      if (config.device().equals("gpu")) {
        throw new ModelException(
            manifestPath
                + ": engine onnxruntime runs on the CPU only here, but inference.djl.device is gpu");
      }
      device = Device.cpu();
    } else {
      device = chooseDevice(config.device(), engine);
    }
    ZooModel<NDList, NDList> zoo;
    try {
      Criteria.Builder<NDList, NDList> criteria =
          Criteria.builder()
              .setTypes(NDList.class, NDList.class)
              .optEngine(engineName)
              .optModelPath(file)
              .optDevice(device)
              .optTranslator(new NoopTranslator());
      if (manifest.onnx() && config.threads() > 0) {
        // ONNX Runtime's thread pool belongs to the session, fixed at load (no per-thread limit).
        criteria.optOption("intraOpNumThreads", String.valueOf(config.threads()));
        criteria.optOption("interOpNumThreads", "1");
      }
      zoo = criteria.build().loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      throw new ModelException(
          file
              + ": not a loadable "
              + (manifest.onnx() ? "ONNX" : "TorchScript")
              + " model: "
              + e.getMessage(),
          e);
    }
    ModelInfo info =
        new ModelInfo(
            manifest.name(), manifest.version(), actual, manifest.threshold().floatValue());
    DjlBackend backend =
        new DjlBackend(
            manifest, info, zoo, device, config.maxBatch(), manifest.goldenFile(manifestPath));
    try {
      backend.probe(file);
    } catch (RuntimeException e) {
      zoo.close(); // refused: nobody else holds it
      throw e;
    }
    LOG.log(
        Level.INFO,
        "model {0} ({1}) on {2}: {9} {3}, DJL {4}, intra-op threads {5}, input {6}x{7}x{8}",
        info.id(),
        file,
        device,
        engine.getVersion(),
        Engine.getDjlVersion(),
        System.getProperty("ai.djl.pytorch.num_threads", "default (cores)"),
        String.valueOf(manifest.input().channels()),
        String.valueOf(manifest.input().height()),
        String.valueOf(manifest.input().width()),
        engineName);
    return backend;
  }

  private static Device chooseDevice(String wanted, Engine engine) {
    int gpus = engine.getGpuCount();
    return switch (wanted) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (gpus == 0) {
          throw new ModelException(
              "inference.djl.device is gpu but no CUDA device is visible (build with -Dcuda for CUDA natives)");
        }
        yield Device.gpu(0);
      }
      default -> gpus > 0 ? Device.gpu(0) : Device.cpu();
    };
  }

  /**
   * Runs a probe batch of (up to) 2 frames, one of zeros and one of a fixed pattern in the
   * normalised input's usual range, and checks the output's shape and values against the manifest:
   * a model that emits logits, or anything but what its manifest declares, is refused here rather
   * than failing every frame on the line.
   */
  private void probe(Path file) {
    int n = Math.min(2, maxBatch);
    ModelManifest.Input in = manifest.input();
    int perFrame = manifest.inputFloats();
    float[] input = new float[n * perFrame];
    for (int i = perFrame; i < input.length; i++) {
      input[i] = (float) (1.5 * Math.sin(0.7 * i)); // frame 1: mean about 0, values in +-1.5
    }
    try (Predictor<NDList, NDList> p = model.newPredictor();
        NDManager m = model.getNDManager().newSubManager()) {
      NDArray x =
          m.create(FloatBuffer.wrap(input), new Shape(n, in.channels(), in.height(), in.width()));
      try (NDList out = p.predict(new NDList(x))) {
        NDArray y = scoreOutput(out, file, n);
        Shape shape = y.getShape();
        long expected = (long) n * manifest.outputsPerFrame();
        if (shape.get(0) != n || shape.size() != expected) {
          throw new ModelException(
              file
                  + ": output shape "
                  + shape
                  + " for a batch of "
                  + n
                  + " contradicts the manifest ("
                  + manifest.outputsPerFrame()
                  + " value(s) per frame, output.kind "
                  + manifest.output().kind()
                  + ")");
        }
        float[] values = y.toFloatArray();
        float[] map = manifest.anomalyMap() ? out.get(1).toFloatArray() : null;
        for (int i = 0; i < n; i++) {
          String problem = check.problem(values, i);
          if (problem == null && map != null) {
            problem = check.mapProblem(map, i);
          }
          if (problem != null) {
            throw new ModelException(
                file
                    + ": outputs of the probe batch are not "
                    + check.describe()
                    + " (frame "
                    + i
                    + ": "
                    + problem
                    + "); "
                    + (check.classScores()
                        ? "a model that emits logits needs a softmax at its end"
                        : "end the model with a sigmoid, or declare output.range"));
          }
        }
      }
    } catch (TranslateException | RuntimeException e) {
      if (e instanceof ModelException me) {
        throw me;
      }
      throw new ModelException(
          file + ": fails on an input of the declared shape: " + e.getMessage(), e);
    }
  }

  /**
   * The output holding the per-frame scores: the only one, or for ANOMALY_MAP the first of two
   * (image score, then the map), whose map has the declared size.
   */
  private NDArray scoreOutput(NDList out, Path file, int n) {
    if (!manifest.anomalyMap()) {
      if (out.size() != 1) {
        throw new ModelException(
            file
                + ": returns "
                + out.size()
                + " outputs, output.kind "
                + manifest.output().kind()
                + " expects 1");
      }
      return out.get(0);
    }
    if (out.size() != 2) {
      throw new ModelException(
          file
              + ": returns "
              + out.size()
              + " output(s), output.kind ANOMALY_MAP expects 2 (image score, per-pixel map)");
    }
    Shape mapShape = out.get(1).getShape();
    if (mapShape.get(0) != n || mapShape.size() != (long) n * manifest.mapFloats()) {
      throw new ModelException(
          file
              + ": anomaly map shape "
              + mapShape
              + " for a batch of "
              + n
              + " contradicts output.mapWidth x output.mapHeight "
              + manifest.output().mapWidth()
              + "x"
              + manifest.output().mapHeight());
    }
    return out.get(0);
  }

  /** Hex SHA-256 of a file; a read error is a {@link ModelException} naming it. */
  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (IOException e) {
      throw new ModelException(file + ": cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public ModelInfo model() {
    return info;
  }

  @Override
  public int maxBatch() {
    return maxBatch;
  }

  @Override
  public int inputFloats() {
    return manifest.inputFloats();
  }

  /**
   * PyTorch's intra-op parallelism is an OpenMP setting of the calling thread (measured: a thread
   * limited to 1 runs the demo model 1.7× slower, while the inference thread keeps 2): work beside
   * the line uses fewer cores without slowing the served model's thread.
   */
  @Override
  public void limitCallingThread(int threads) {
    if (!manifest.onnx()) {
      limitThreadsOfCallingThread(threads);
    }
  }

  /** As {@link #limitCallingThread}, before a model is loaded (loading runs a probe batch). */
  public static void limitThreadsOfCallingThread(int threads) {
    if (threads > 0) {
      try {
        JniUtils.setNumThreads(threads);
      } catch (RuntimeException | LinkageError e) {
        LOG.log(
            Level.WARNING, "cannot limit PyTorch threads of " + Thread.currentThread() + ": " + e);
      }
    }
  }

  /**
   * Frames this backend failed safe INFERENCE_ERROR because the model's output broke the manifest's
   * rule ({@link OutputCheck}); any thread.
   */
  @Override
  public long outputErrors() {
    return outputErrors.get();
  }

  /** The device the model runs on. */
  public Device device() {
    return device;
  }

  /**
   * The preprocessing {@code manifest} describes, without loading its model: for tools that look at
   * the model input only ({@code inspect models quality}). Owned by the calling thread.
   */
  public static Preprocessor preprocessorFor(ModelManifest manifest) {
    return new OpenCvPreprocessor(manifest.input());
  }

  /** From the manifest's {@code input}: what {@link OpenCvPreprocessor} writes. */
  @Override
  public InputLayout inputLayout() {
    return layout;
  }

  /** The manifest's {@code quality} section, or the defaults where it has none. */
  @Override
  public QualityLimits qualityLimits() {
    return manifest.quality();
  }

  /** The manifest's {@code input} section: what {@link OpenCvPreprocessor} does to a frame. */
  @Override
  public String preprocessing() {
    return manifest.input().toString();
  }

  public ModelManifest manifest() {
    return manifest;
  }

  /** The golden set's {@code labels.csv} named by the manifest (absolute), or null. */
  @Override
  public Path goldenFile() {
    return goldenFile;
  }

  @Override
  public Preprocessor newPreprocessor() {
    return new OpenCvPreprocessor(manifest.input());
  }

  @Override
  protected InferenceSession openSession() {
    return new Session();
  }

  /** Closes the model; by {@link GuardedBackend}, only once no session is open. */
  @Override
  protected void release() {
    model.close();
  }

  /**
   * One predictor and one input buffer, owned by one inference thread. The buffer is direct and in
   * native byte order, allocated once: PyTorch reads the batch from it in place (DJL's {@code
   * torchFromBlob}), where a heap array would cost a fresh direct buffer and a copy per batch,
   * freed only by the garbage collector.
   */
  private final class Session implements InferenceSession {
    private final Predictor<NDList, NDList> predictor = model.newPredictor();
    private final int perFrame = manifest.inputFloats();
    private final int outputs = manifest.outputsPerFrame();
    private final int mapFloats = manifest.mapFloats();
    private final ByteBuffer batchBytes =
        ByteBuffer.allocateDirect(maxBatch * perFrame * Float.BYTES).order(ByteOrder.nativeOrder());
    private final FloatBuffer batchInput = batchBytes.asFloatBuffer();
    private final List<String> classes = manifest.output().classes();
    private final boolean classScores = check.classScores();
    private final ModelManifest.Input in = manifest.input();

    @Override
    public void infer(FrameEvent[] batch, int count) throws TranslateException {
      batchInput.clear();
      for (int i = 0; i < count; i++) {
        batchInput.put(batch[i].input(), 0, perFrame);
      }
      batchBytes.clear().limit(count * perFrame * Float.BYTES);
      try (NDManager m = model.getNDManager().newSubManager()) {
        NDArray x =
            m.create(
                batchBytes,
                new Shape(count, in.channels(), in.height(), in.width()),
                DataType.FLOAT32);
        try (NDList out = predictor.predict(new NDList(x))) {
          float[] values = out.get(0).toFloatArray();
          float[] map = mapFloats > 0 ? out.get(1).toFloatArray() : null;
          if (out.size() != (mapFloats > 0 ? 2 : 1)
              || (map != null && map.length != count * mapFloats)) {
            throw new IllegalStateException(
                "the model returned " + out.size() + " outputs, not what the manifest says");
          }
          if (values.length != count * outputs) {
            throw new IllegalStateException(
                "the model returned "
                    + values.length
                    + " values for a batch of "
                    + count
                    + ", the manifest says "
                    + outputs
                    + " per frame");
          }
          for (int i = 0; i < count; i++) {
            String problem = check.problem(values, i);
            if (problem == null && map != null) {
              problem = check.mapProblem(map, i);
            }
            if (problem != null) {
              rejectOutput(batch[i], problem);
              continue;
            }
            float score = check.score(values, i);
            batch[i].setResult(score, label(values, i, score));
          }
        }
      }
    }

    private void rejectOutput(FrameEvent frame, String problem) {
      String detail = "output of " + info.id() + " rejected: " + problem;
      frame.failSafe(ReasonCode.INFERENCE_ERROR, detail);
      long n = outputErrors.incrementAndGet();
      if (ErrorLog.shouldLog(n)) {
        LOG.log(
            Level.WARNING,
            "{0}#{1} fails safe INFERENCE_ERROR: {2} ({3} such frame(s) so far)",
            frame.cameraId(),
            String.valueOf(frame.sequence()),
            detail,
            String.valueOf(n));
      }
    }

    private String label(float[] values, int frame, float score) {
      if (!classScores) {
        return score >= info.threshold() ? "anomaly" : "normal";
      }
      int best = 0;
      for (int k = 1; k < outputs; k++) {
        if (values[frame * outputs + k] > values[frame * outputs + best]) {
          best = k;
        }
      }
      return classes.get(best);
    }

    @Override
    public void close() {
      predictor.close();
    }
  }
}
