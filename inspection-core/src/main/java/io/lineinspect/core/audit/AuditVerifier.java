package io.lineinspect.core.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Reads and checks an audit directory: every line's hash must equal SHA-256(previous hash + the
 * line's content), across segment boundaries, so a changed byte, a removed or reordered line, or a
 * segment cut short is found and named (file, line). Only the last line of a segment may be torn
 * (the service was killed within the fsync window); that is reported, not failed.
 */
public final class AuditVerifier {
  private static final String HASH_KEY = ",\"hash\":\"";

  private AuditVerifier() {}

  /** What {@link #verify} found. */
  public record Report(
      int segments,
      long records,
      long firstRecord,
      long lastRecord,
      List<String> problems,
      List<String> notes) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * The end of a segment: the last whole line's hash and record number, and whether a torn line
   * follows.
   */
  record Tail(String lastHash, long lastRecord, boolean torn) {}

  /** The segments of a directory, oldest first. */
  public static List<Path> segments(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(
              p -> {
                String n = p.getFileName().toString();
                return n.startsWith(AuditLog.SEGMENT_PREFIX) && n.endsWith(AuditLog.SEGMENT_SUFFIX);
              })
          .sorted()
          .toList();
    }
  }

  static long segmentNumber(Path segment) {
    String n = segment.getFileName().toString();
    return Long.parseLong(
        n.substring(
            AuditLog.SEGMENT_PREFIX.length(), n.length() - AuditLog.SEGMENT_SUFFIX.length()));
  }

  /** Reads a segment's last whole line (for continuing the chain after a restart). */
  static Tail tail(Path segment) throws IOException {
    String text = Files.readString(segment, StandardCharsets.UTF_8);
    boolean torn = !text.isEmpty() && !text.endsWith("\n");
    int end = torn ? text.lastIndexOf('\n') + 1 : text.length();
    String whole = text.substring(0, end);
    String[] lines = whole.isEmpty() ? new String[0] : whole.split("\n");
    String hash = AuditLog.ZERO_HASH;
    long record = 0;
    for (String l : lines) {
      int h = l.lastIndexOf(HASH_KEY);
      if (h > 0) {
        hash = l.substring(h + HASH_KEY.length(), h + HASH_KEY.length() + 64);
      }
      long n = numberField(l, "{\"n\":");
      if (n > 0) {
        record = n;
      }
    }
    if (record == 0) {
      record = Math.max(0, numberField(lines.length > 0 ? lines[0] : "", ",\"firstRecord\":") - 1);
    }
    return new Tail(hash, record, torn);
  }

  private static long numberField(String line, String key) {
    int i = line.indexOf(key);
    if (i < 0) {
      return -1;
    }
    int from = i + key.length();
    int to = from;
    while (to < line.length() && Character.isDigit(line.charAt(to))) {
      to++;
    }
    return to == from ? -1 : Long.parseLong(line.substring(from, to));
  }

  /**
   * Checks the whole chain.
   *
   * @param records called with every whole, verified record line (may be null)
   */
  public static Report verify(Path dir, Consumer<String> records) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<Path> segments = segments(dir);
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String prev = null;
    long count = 0;
    long first = 0;
    long last = 0;
    for (int s = 0; s < segments.size(); s++) {
      Path seg = segments.get(s);
      String name = seg.getFileName().toString();
      String text = Files.readString(seg, StandardCharsets.UTF_8);
      boolean torn = !text.isEmpty() && !text.endsWith("\n");
      String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
      int whole =
          torn ? lines.length - 1 : lines.length - 1; // split leaves "" or the torn part last
      boolean closed = false;
      for (int i = 0; i < whole; i++) {
        String l = lines[i];
        int h = l.lastIndexOf(HASH_KEY);
        if (h < 0 || l.length() != h + HASH_KEY.length() + 64 + 2) {
          problems.add(name + " line " + (i + 1) + ": malformed record (no hash at its end)");
          return new Report(segments.size(), count, first, last, problems, notes);
        }
        String content = l.substring(0, h);
        String hash = l.substring(h + HASH_KEY.length(), h + HASH_KEY.length() + 64);
        if (prev == null) {
          // The oldest segment kept: its first line starts the chain we can check.
          prev =
              s == 0 && i == 0 && numberField(l, ",\"firstRecord\":") == 1
                  ? AuditLog.ZERO_HASH
                  : null;
          if (prev == null) {
            notes.add(
                name
                    + ": older segments were removed by retention; the chain is checked from here");
            prev = hash; // trust the first line, check everything after it
            continue;
          }
        }
        sha.reset();
        sha.update(prev.getBytes(StandardCharsets.US_ASCII));
        sha.update(content.getBytes(StandardCharsets.UTF_8));
        String expected = AuditLog.hex(sha.digest());
        if (!expected.equals(hash)) {
          problems.add(
              name
                  + " line "
                  + (i + 1)
                  + ": hash mismatch: the record was changed, or a record before it was removed"
                  + " or changed");
          return new Report(segments.size(), count, first, last, problems, notes);
        }
        prev = hash;
        if (l.contains(",\"type\":\"record\"") || l.contains(",\"type\":\"reject\"")) {
          long n = numberField(l, "{\"n\":");
          if (first == 0) {
            first = n;
          } else if (n != last + 1) {
            problems.add(name + " line " + (i + 1) + ": record " + n + " follows record " + last);
          }
          last = n;
          count++;
          if (records != null) {
            records.accept(content);
          }
        }
        closed = l.contains(",\"type\":\"close\"");
      }
      if (torn) {
        notes.add(
            name
                + ": last line torn ("
                + lines[lines.length - 1].length()
                + " bytes): the service stopped while writing it (within the fsync window)");
      }
      if (!closed && s < segments.size() - 1) {
        notes.add(
            name + ": not closed (the service was killed); the next segment continues the chain");
      } else if (!closed) {
        notes.add(name + ": open (the service is running, or was killed)");
      }
    }
    return new Report(segments.size(), count, first, last, problems, notes);
  }
}
