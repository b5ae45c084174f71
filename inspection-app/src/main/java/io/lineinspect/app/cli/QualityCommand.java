package io.lineinspect.app.cli;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.InputLayout;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.model.GoldenSet;
import io.lineinspect.core.model.ImageFile;
import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.quality.QualityCheck;
import io.lineinspect.core.quality.QualityLimits;
import io.lineinspect.core.quality.QualityProfile;
import io.lineinspect.inference.djl.DjlBackend;
import io.lineinspect.inference.djl.ModelManifest;
import io.lineinspect.sim.PartRenderer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code inspect models quality NAME VERSION}: runs a model version's golden set through the
 * model's own preprocessing (no model is loaded), prints min / median / max of every fitness
 * statistic and the limits suggested from them as a {@code quality:} section to paste into the
 * manifest. Also lists the golden images the manifest's current limits would refuse. With {@code
 * --builtin} it does the same for the builtin backend on simulator frames (for {@code
 * inference.builtin.quality}). Off the line: run it on a workstation or an idle line computer.
 */
@Command(
    name = "quality",
    mixinStandardHelpOptions = true,
    description =
        "Fitness statistics of a model's golden set through its preprocessing (or, with"
            + " --builtin, of simulator frames through the builtin backend) and suggested"
            + " quality limits as YAML (docs/models.md).")
final class QualityCommand implements Callable<Integer> {
  @Mixin ModelsCommand.Target target;

  @Parameters(index = "0", arity = "0..1", description = "Model name.")
  String name;

  @Parameters(index = "1", arity = "0..1", description = "Version.")
  String version;

  @Option(names = "--builtin", description = "The builtin backend on simulator frames instead.")
  boolean builtin;

  @Option(names = "--count", description = "Simulator frames for --builtin (default 2000).")
  int count = 2000;

  @Option(names = "--seed", description = "Simulator seed for --builtin (default 77).")
  long seed = 77;

  @Option(names = "--size", description = "Simulator frame side in pixels (default 256).")
  int size = 256;

  private final PrintStream out;

  QualityCommand() {
    this(System.out);
  }

  QualityCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    if (builtin) {
      return builtinProfile();
    }
    if (name == null || version == null) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "give NAME VERSION, or --builtin");
    }
    ServiceConfig c = target.load();
    ModelRegistry registry =
        new ModelRegistry(InspectCommand.home().resolve(c.models().registry()));
    Path manifestPath = registry.manifest(name, version);
    ModelManifest manifest = ModelManifest.load(manifestPath);
    Path labels = manifest.goldenFile(manifestPath);
    if (labels == null) {
      out.println(manifestPath + ": no golden set (golden:) to derive quality limits from");
      return 1;
    }
    List<GoldenSet.Labelled> golden = GoldenSet.load(labels);
    QualityCheck check = new QualityCheck(manifest.inputLayout());
    QualityProfile profile = new QualityProfile();
    List<String> refused = new ArrayList<>();
    FrameEvent event = FrameEvent.standalone();
    try (Preprocessor pre = DjlBackend.preprocessorFor(manifest)) {
      for (GoldenSet.Labelled l : golden) {
        ImageFile image = l.image();
        load(event, image.bytes(), image.width(), image.height(), image.format());
        if (!pre.preprocess(event)) {
          refused.add(image.path().getFileName() + ": " + event.detail());
          continue;
        }
        String problem = check.check(event.input(), manifest.quality());
        profile.add(check.stats());
        if (problem != null) {
          refused.add(image.path().getFileName() + ": " + problem);
        }
      }
    }
    out.printf(
        Locale.ROOT,
        "# %s@%s: golden set %s through the model's preprocessing (%s)%n",
        manifest.name(),
        manifest.version(),
        labels,
        manifest.inputLayout());
    print(profile, refused.size(), golden.size(), "the manifest's current limits");
    refused.stream().limit(10).forEach(r -> out.println("#   " + r));
    return 0;
  }

  private int builtinProfile() {
    BuiltinBackend backend = new BuiltinBackend(BuiltinBackendConfig.defaults());
    InputLayout layout = backend.inputLayout();
    QualityCheck check = new QualityCheck(layout);
    QualityProfile profile = new QualityProfile();
    PartRenderer renderer = new PartRenderer(size, size, seed, 0.5);
    byte[] pixels = new byte[size * size];
    FrameEvent event = FrameEvent.standalone();
    int refused = 0;
    try (Preprocessor pre = backend.newPreprocessor()) {
      for (int i = 0; i < count; i++) {
        renderer.render(pixels, PixelFormat.MONO8);
        load(event, pixels, size, size, PixelFormat.MONO8);
        pre.preprocess(event);
        if (check.check(event.input(), QualityLimits.defaults()) != null) {
          refused++;
        }
        profile.add(check.stats());
      }
    }
    out.printf(
        Locale.ROOT,
        "# builtin backend: %d simulator frames %dx%d MONO8, seed %d, defect rate 0.5 (%s)%n",
        count,
        size,
        size,
        seed,
        layout);
    print(profile, refused, count, "the default limits");
    return 0;
  }

  private static void load(
      FrameEvent event, byte[] bytes, int width, int height, PixelFormat format) {
    event.clear();
    event.setFrame(0, 0, false, 0, width, height, format, 0);
    System.arraycopy(bytes, 0, event.payloadBuffer(bytes.length), 0, bytes.length);
  }

  private void print(QualityProfile profile, int refused, int total, String whose) {
    out.print(profile.table());
    out.printf(Locale.ROOT, "# refused by %s: %d of %d%n", whose, refused, total);
    out.println("# suggested (margins: docs/models.md#fitness-check):");
    out.println("quality:");
    out.print(profile.suggest().toYaml("  "));
  }
}
