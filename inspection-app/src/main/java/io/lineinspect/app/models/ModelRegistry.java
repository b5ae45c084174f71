package io.lineinspect.app.models;

import io.lineinspect.inference.djl.DjlBackend;
import io.lineinspect.inference.djl.ModelException;
import io.lineinspect.inference.djl.ModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The model versions on local disk: {@code <root>/<name>/<version>/manifest.yaml}, next to its
 * {@code .pt} file and optional golden set. Read-only: a plant adds a version by copying its
 * directory in; the service never writes here.
 */
public final class ModelRegistry {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /**
   * One version found on disk.
   *
   * @param problem why it cannot be served (manifest invalid, file missing, checksum mismatch,
   *     directory and manifest disagree), or null when it looks servable (loading still checks that
   *     the file is TorchScript with the declared output shape)
   */
  public record Version(
      String name, String version, Path manifest, String sha256, Double threshold, String problem) {
    public String id() {
      return name + "@" + version;
    }
  }

  private final Path root;

  public ModelRegistry(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** Every version, sorted by name then version (numeric versions numerically), each checked. */
  public List<Version> list() throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException(root + ": model registry not found (models.registry)");
    }
    List<Version> out = new ArrayList<>();
    try (Stream<Path> names = Files.list(root)) {
      for (Path n : names.filter(Files::isDirectory).toList()) {
        try (Stream<Path> versions = Files.list(n)) {
          for (Path v : versions.filter(Files::isDirectory).toList()) {
            Path manifest = v.resolve("manifest.yaml");
            if (Files.isRegularFile(manifest)) {
              out.add(inspect(n.getFileName().toString(), v.getFileName().toString(), manifest));
            }
          }
        }
      }
    }
    out.sort(
        Comparator.comparing(Version::name)
            .thenComparing(Version::version, ModelRegistry::compareVersions));
    return out;
  }

  /** Versions compare numerically when both are numbers ("10" after "9"), else as text. */
  static int compareVersions(String a, String b) {
    if (a.matches("\\d{1,18}") && b.matches("\\d{1,18}")) {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    }
    return a.compareTo(b);
  }

  /**
   * The manifest of {@code name@version}.
   *
   * @throws ModelException when there is no such version (the message lists the versions there are)
   */
  public Path manifest(String name, String version) {
    if (name == null
        || version == null
        || !SAFE.matcher(name).matches()
        || !SAFE.matcher(version).matches()) {
      throw new ModelException(
          "model name and version must be 1-64 letters, digits, '.', '_' or '-', got '"
              + name
              + "' '"
              + version
              + "'");
    }
    Path manifest = root.resolve(name).resolve(version).resolve("manifest.yaml");
    if (!Files.isRegularFile(manifest)) {
      String known;
      try {
        known =
            list().stream()
                .filter(v -> v.name().equals(name))
                .map(Version::version)
                .reduce((x, y) -> x + ", " + y)
                .map(s -> "versions of " + name + ": " + s)
                .orElse("no model named " + name);
      } catch (IOException e) {
        known = e.getMessage();
      }
      throw new ModelException(
          name + "@" + version + " is not in the registry " + root + " (" + known + ")");
    }
    return manifest;
  }

  /**
   * Checks what can be checked without loading: the manifest, the file's SHA-256, and that the
   * directory names agree with the manifest's name and version (a copied directory whose manifest
   * was not edited would otherwise serve under a version it does not say).
   */
  static Version inspect(String name, String version, Path manifestPath) {
    ModelManifest m;
    try {
      m = ModelManifest.load(manifestPath);
    } catch (ModelException e) {
      return new Version(name, version, manifestPath, null, null, e.getMessage());
    }
    String problem = null;
    if (!m.name().equals(name) || !m.version().equals(version)) {
      problem =
          manifestPath
              + ": says "
              + m.name()
              + "@"
              + m.version()
              + " but lives in "
              + name
              + "/"
              + version
              + "/; the directory must be <name>/<version>";
    } else {
      Path file = m.modelFile(manifestPath);
      if (!Files.isRegularFile(file)) {
        problem = file + ": model file not found";
      } else {
        String actual = DjlBackend.sha256(file);
        if (!actual.equalsIgnoreCase(m.sha256())) {
          problem = file + ": SHA-256 is " + actual + " but the manifest says " + m.sha256();
        }
      }
    }
    return new Version(name, version, manifestPath, m.sha256(), m.threshold(), problem);
  }
}
