package io.lineinspect.app.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.core.audit.AuditVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds a part's verdict record in the audit trail, newest segment first (the record the chain
 * holds, as {@code inspect audit query} prints it). Reads files only; any thread (an admin HTTP
 * thread, on request).
 */
final class AuditLookup {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Segments searched at most, newest first: a lookup never reads the whole history. */
  static final int MAX_SEGMENTS = 8;

  private AuditLookup() {}

  /**
   * The newest {@code "type":"record"} line of {@code camera}'s frame {@code sequence} (and, when
   * not null, {@code captureUs}), or null when none is found.
   */
  static JsonNode find(Path dir, String camera, long sequence, Long captureUs) throws IOException {
    if (dir == null) {
      return null;
    }
    List<Path> segments = AuditVerifier.segments(dir);
    String needle = "\"frame\":" + sequence + ",";
    for (int i = segments.size() - 1, seen = 0; i >= 0 && seen < MAX_SEGMENTS; i--, seen++) {
      JsonNode found = null;
      try (BufferedReader in = Files.newBufferedReader(segments.get(i), StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null) {
          if (!line.contains(needle) || !line.contains(",\"type\":\"record\"")) {
            continue;
          }
          JsonNode r;
          try {
            r = JSON.readTree(line);
          } catch (IOException torn) {
            continue;
          }
          if (camera.equals(r.path("cam").asText())
              && r.path("frame").asLong() == sequence
              && (captureUs == null || r.path("captureUs").asLong() == captureUs)) {
            found = r; // keep reading: the newest one wins
          }
        }
      } catch (java.nio.file.NoSuchFileException deletedByRetention) {
        continue;
      }
      if (found != null) {
        return found;
      }
    }
    return null;
  }
}
