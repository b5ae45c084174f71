package io.lineinspect.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * {@code inspect labels export}: the operator labels as a labelled image set in the layout of
 * {@code inspect dataset --png} (a model's golden set, {@code docs/models.md}): one PNG per
 * labelled part ({@code 00000.png}, …) and {@code labels.csv} as {@code file,label,defect}, where
 * label is {@code good} for a false reject and {@code defect} for a confirmed or escaped defect,
 * and defect names the operator's label. {@code provenance.csv} gives each file's audit identity
 * (camera, frame, capture time, verdict, model) and who labelled it; labels without an image (an
 * escaped defect whose PASS image was not sampled) are listed in {@code unimaged.csv}. The latest
 * label of a part wins.
 */
public final class LabelExport {
  private LabelExport() {}

  /** What was written. */
  public record Result(int images, int unimaged, int good, int defect) {}

  private static final List<String> IDENTITY =
      List.of(
          "camera",
          "seq",
          "captureUs",
          "verdict",
          "reason",
          "score",
          "model",
          "version",
          "sha256",
          "label",
          "role",
          "atUs");

  public static Result write(LabelStore store, Path out) throws IOException {
    Files.createDirectories(out);
    int images = 0;
    int unimaged = 0;
    int good = 0;
    int defect = 0;
    try (Writer labels =
            Files.newBufferedWriter(out.resolve("labels.csv"), StandardCharsets.UTF_8);
        Writer prov =
            Files.newBufferedWriter(out.resolve("provenance.csv"), StandardCharsets.UTF_8);
        Writer none =
            Files.newBufferedWriter(out.resolve("unimaged.csv"), StandardCharsets.UTF_8)) {
      labels.write("file,label,defect\n");
      prov.write("file," + String.join(",", IDENTITY) + "\n");
      none.write(String.join(",", IDENTITY) + "\n");
      for (JsonNode l : store.latest()) {
        String kind = l.path("label").asText();
        String cls = kind.equals("false-reject") ? "good" : "defect";
        Path src = l.hasNonNull("image") ? store.dir().resolve(l.get("image").asText()) : null;
        if (src == null || !Files.isRegularFile(src)) {
          none.write(row(l) + "\n");
          unimaged++;
          continue;
        }
        String name = String.format(java.util.Locale.ROOT, "%05d.png", images);
        png(src, out.resolve(name));
        labels.write(name + "," + cls + "," + kind + "\n");
        prov.write(name + "," + row(l) + "\n");
        images++;
        if (cls.equals("good")) {
          good++;
        } else {
          defect++;
        }
      }
    }
    return new Result(images, unimaged, good, defect);
  }

  private static String row(JsonNode l) {
    StringBuilder b = new StringBuilder();
    for (String k : IDENTITY) {
      if (b.length() > 0) {
        b.append(',');
      }
      JsonNode v = l.get(k);
      String s = v == null || v.isNull() ? "" : v.asText();
      b.append(
          s.contains(",") || s.contains("\"") || s.contains("\n")
              ? "\"" + s.replace("\"", "\"\"") + "\""
              : s);
    }
    return b.toString();
  }

  private static void png(Path src, Path dst) throws IOException {
    if (src.getFileName().toString().endsWith(".png")) {
      Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    BufferedImage img = ImageIO.read(src.toFile());
    if (img == null) {
      throw new IOException(src + ": not a readable image");
    }
    if (!ImageIO.write(img, "png", dst.toFile())) {
      throw new IOException(dst + ": no PNG writer");
    }
  }
}
