package io.lineinspect.core.model;

import io.lineinspect.core.decide.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Images with the verdict they must get, and recent line images, that a candidate model is checked
 * against before it is served.
 *
 * <p>A golden set is a {@code labels.csv} beside its images: a header {@code file,label}, then one
 * line per image with its file name (relative to the CSV) and {@code good} (must PASS) or {@code
 * defect} (must FAIL). Lines starting with {@code #} are comments.
 */
public final class GoldenSet {
  private GoldenSet() {}

  /** One pinned image and the verdict it must get. */
  public record Labelled(ImageFile image, Verdict expected) {}

  /**
   * Reads a golden set.
   *
   * @throws IOException naming the file and line of the first problem (missing image, unknown
   *     label, unreadable image, empty set)
   */
  public static List<Labelled> load(Path labelsCsv) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(labelsCsv, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IOException(labelsCsv + ": golden set not found");
    }
    Path dir = labelsCsv.toAbsolutePath().normalize().getParent(); // "a/../b" must not look outside
    List<Labelled> out = new ArrayList<>();
    boolean header = true;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = labelsCsv + ":" + (i + 1) + ": ";
      String[] f = line.split(",", -1);
      if (header) {
        header = false;
        if (f.length < 2 || !f[0].strip().equals("file") || !f[1].strip().equals("label")) {
          throw new IOException(where + "the header must be 'file,label', got '" + line + "'");
        }
        continue;
      }
      if (f.length < 2) {
        throw new IOException(where + "expected 'file,label', got '" + line + "'");
      }
      Verdict expected =
          switch (f[1].strip().toLowerCase(Locale.ROOT)) {
            case "good", "pass" -> Verdict.PASS;
            case "defect", "fail" -> Verdict.FAIL;
            default ->
                throw new IOException(
                    where + "label must be good or defect, got '" + f[1].strip() + "'");
          };
      Path image = dir.resolve(f[0].strip()).normalize();
      if (!image.startsWith(dir)) {
        throw new IOException(where + "image path leaves the golden set's directory: " + f[0]);
      }
      try {
        out.add(new Labelled(ImageFile.read(image), expected));
      } catch (NoSuchFileException e) {
        throw new IOException(where + "image not found: " + image);
      } catch (IOException e) {
        throw new IOException(where + e.getMessage(), e);
      }
    }
    if (out.isEmpty()) {
      throw new IOException(labelsCsv + ": the golden set has no images");
    }
    return out;
  }

  /**
   * The newest {@code max} PNG/JPEG files under {@code dir} (the image archive), newest first;
   * empty when the directory does not exist. Only the paths: the images are read one at a time
   * while they are judged, so the gate does not hold megabytes of images on the heap (each young
   * garbage collection would copy them, a pause the line feels).
   */
  public static List<Path> recent(Path dir, int max) throws IOException {
    if (max <= 0 || !Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> Files.isRegularFile(p) && ImageFile.isImage(p))
          .sorted(Comparator.comparingLong(GoldenSet::modified).reversed())
          .limit(max)
          .toList();
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
