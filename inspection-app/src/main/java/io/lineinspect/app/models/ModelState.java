package io.lineinspect.app.models;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Which model version the line serves and the versions served before it (newest first), kept in
 * {@code models.state} so that an activation survives a restart and a rollback knows where to go.
 * Written atomically (temporary file, then rename).
 *
 * @param served the version served now (null: the one named by {@code inference.djl.manifest})
 * @param history versions served before, newest first (at most {@link #MAX_HISTORY})
 */
public record ModelState(Entry served, List<Entry> history) {
  static final int MAX_HISTORY = 20;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * One served version.
   *
   * @param since ISO-8601 time it started serving
   * @param how what made it served: {@code config}, {@code activate}, {@code rollback}
   */
  public record Entry(String name, String version, String sha256, String since, String how) {
    public String id() {
      return name + "@" + version;
    }
  }

  public ModelState {
    history = history == null ? List.of() : List.copyOf(history);
  }

  public static ModelState empty() {
    return new ModelState(null, List.of());
  }

  /** The saved state, or {@link #empty()} when the file does not exist yet. */
  public static ModelState load(Path file) throws IOException {
    try {
      ModelState s = JSON.readValue(Files.readString(file), ModelState.class);
      return s == null ? empty() : s;
    } catch (NoSuchFileException e) {
      return empty();
    } catch (IOException e) {
      throw new IOException(file + ": unreadable model state (models.state): " + e.getMessage(), e);
    }
  }

  void save(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, JSON.writeValueAsBytes(this));
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** {@code next} served; the version served until now goes to the front of the history. */
  ModelState serve(Entry next) {
    List<Entry> h = new ArrayList<>();
    if (served != null) {
      h.add(served);
    }
    h.addAll(history);
    return new ModelState(next, h.subList(0, Math.min(h.size(), MAX_HISTORY)));
  }

  /** {@code previous} (the front of the history) served again; it leaves the history. */
  ModelState rollBackTo(Entry previous) {
    return new ModelState(previous, history.subList(1, history.size()));
  }
}
