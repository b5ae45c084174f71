package io.lineinspect.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Operator labels, kept on disk: {@code <labelsDir>/labels.jsonl}, one JSON object per label,
 * appended and forced to disk before the request is answered, and a copy of the part's archived
 * image in {@code <labelsDir>/images/} (so a label keeps its image when the archive's quota deletes
 * the original). A later label of the same part supersedes an earlier one ({@link #latest}).
 * Format: {@code docs/dashboard.md#labels}.
 *
 * <p>Thread-safe (appends are serialised); the admin HTTP threads and {@code inspect labels
 * export}.
 */
public final class LabelStore {
  /** The label values an operator can give. */
  public static final List<String> LABELS =
      List.of("false-reject", "confirmed-defect", "escaped-defect");

  static final String FILE = "labels.jsonl";
  static final String IMAGES = "images";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  public LabelStore(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Appends one label (and copies {@code image}, when given, into {@code images/}); the label's
   * {@code image} field names the copy.
   *
   * @return the label as stored
   */
  public synchronized Map<String, Object> add(Map<String, Object> label, Path image)
      throws IOException {
    Files.createDirectories(dir.resolve(IMAGES));
    Map<String, Object> l = new LinkedHashMap<>(label);
    if (image != null && Files.isRegularFile(image)) {
      String name = image.getFileName().toString();
      Path copy = dir.resolve(IMAGES).resolve(name);
      if (!Files.exists(copy)) {
        Path tmp = dir.resolve(IMAGES).resolve(name + ".tmp");
        Files.copy(image, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
      }
      l.put("image", IMAGES + "/" + name);
    } else {
      l.put("image", null);
    }
    byte[] line = (JSON.writeValueAsString(l) + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(
            dir.resolve(FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    return l;
  }

  /** Every label in the order given (a torn last line, from a crash while writing, is skipped). */
  public synchronized List<JsonNode> all() throws IOException {
    Path f = dir.resolve(FILE);
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(f)) {
      return out;
    }
    try (BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        try {
          out.add(JSON.readTree(line));
        } catch (IOException torn) {
          // only the last line can be torn; nothing after it was acknowledged
        }
      }
    }
    return out;
  }

  /**
   * The latest label of each part (camera, sequence, capture time), in the order first labelled.
   */
  public List<JsonNode> latest() throws IOException {
    Map<String, JsonNode> byPart = new LinkedHashMap<>();
    for (JsonNode l : all()) {
      String key =
          l.path("camera").asText()
              + "/"
              + l.path("seq").asLong()
              + "/"
              + l.path("captureUs").asLong();
      byPart.put(key, l);
    }
    return new ArrayList<>(byPart.values());
  }
}
