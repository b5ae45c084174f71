package io.lineinspect.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Reads and checks an audit directory: every line's hash must equal SHA-256(previous hash + the
 * line's content), across segment boundaries, so a changed byte, a removed or reordered line, or a
 * segment cut short is found and named (file, line). Only the last line of a segment may be torn
 * (the service was killed within the fsync window); that is reported, not failed.
 *
 * <p>Segments are only ever deleted by retention, oldest first, and each deletion is itself a line
 * of the chain ({@code "type":"retention"}, naming the segments gone, their records, times and last
 * hash): the oldest segment kept must continue exactly that last hash, and a missing segment that
 * no retention line names — the first ones, or any between two kept — fails the check. Records the
 * writer had to drop are reported from its {@code "type":"dropped"} lines (format: {@code
 * docs/operations.md}).
 */
public final class AuditVerifier {
  private static final String HASH_KEY = ",\"hash\":\"";
  private static final String TYPE_KEY = ",\"type\":\"";
  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditVerifier() {}

  /** What {@link #verify} found. */
  public record Report(
      int segments,
      long records,
      long firstRecord,
      long lastRecord,
      List<String> problems,
      List<String> notes,
      List<Gap> gaps,
      Retention retention) {
    public boolean ok() {
      return problems.isEmpty();
    }

    /** Records the writer dropped (queue full), as its {@code dropped} lines in the chain say. */
    public long dropped() {
      return gaps.stream().mapToLong(Gap::dropped).sum();
    }
  }

  /**
   * One {@code "type":"dropped"} line: {@code dropped} records of {@code camera} (null: records
   * without a camera) were not written, the first at {@code fromUs}, the last at {@code toUs}
   * (epoch µs, service clock).
   */
  public record Gap(String camera, long dropped, long fromUs, long toUs) {}

  /**
   * One {@code "type":"retention"} line: retention deleted segments {@code firstSegment ..
   * lastSegment} (every segment deleted so far, oldest first), holding records {@code firstRecord
   * .. lastRecord} written from {@code fromUs} to {@code toUs}; the last line of {@code
   * lastSegment} had hash {@code lastHash}. Deletions ran from {@code firstAtUs} to {@code atUs}.
   */
  public record Retention(
      long firstSegment,
      long lastSegment,
      long firstRecord,
      long lastRecord,
      long fromUs,
      long toUs,
      String lastHash,
      long firstAtUs,
      long atUs) {}

  /** What the first and last whole lines of a segment say (read before retention deletes it). */
  record SegmentEnds(
      long segment,
      long firstRecord,
      long lastRecord,
      long openedUs,
      long endUs,
      String lastHash) {}

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

  /** The {@code type} of a line's content (the text before {@code ,"hash"}), or "". */
  static String type(String content) {
    int t = content.lastIndexOf(TYPE_KEY);
    return t < 0 || !content.endsWith("\"")
        ? ""
        : content.substring(t + TYPE_KEY.length(), content.length() - 1);
  }

  static Retention retention(String line) throws IOException {
    JsonNode r = JSON.readTree(line);
    return new Retention(
        r.path("firstSegment").asLong(),
        r.path("lastSegment").asLong(),
        r.path("firstRecord").asLong(),
        r.path("lastRecord").asLong(),
        r.path("fromUs").asLong(),
        r.path("toUs").asLong(),
        r.path("lastHash").asText(),
        r.path("firstAtUs").asLong(),
        r.path("atUs").asLong());
  }

  private static Gap gap(String line) throws IOException {
    JsonNode g = JSON.readTree(line);
    return new Gap(
        g.path("cam").isNull() ? null : g.path("cam").asText(),
        g.path("dropped").asLong(),
        g.path("fromUs").asLong(),
        g.path("toUs").asLong());
  }

  /**
   * Reads the ends of a segment about to be deleted: its open line and its last whole line (the
   * close line, or — for a segment of a killed service — the last record). Reads only the ends,
   * except for a segment that was not closed.
   */
  static SegmentEnds ends(Path segment) throws IOException {
    long number = segmentNumber(segment);
    String first;
    try (BufferedReader in = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
      first = in.readLine();
    }
    JsonNode head = first == null ? JSON.missingNode() : JSON.readTree(first);
    long firstRecord = head.path("firstRecord").asLong(0);
    long openedUs = head.path("openedUs").asLong(0);
    String last = lastWholeLine(segment);
    JsonNode tail = last.isEmpty() ? JSON.missingNode() : JSON.readTree(last);
    if ("close".equals(tail.path("type").asText())) {
      return new SegmentEnds(
          number,
          firstRecord,
          tail.path("lastRecord").asLong(),
          openedUs,
          tail.path("closedUs").asLong(),
          tail.path("hash").asText());
    }
    Tail t = tail(segment);
    long endUs = openedUs;
    for (String k : List.of("receivedUs", "atUs", "toUs", "openedUs")) {
      if (tail.path(k).isNumber()) {
        endUs = tail.path(k).asLong();
        break;
      }
    }
    return new SegmentEnds(number, firstRecord, t.lastRecord(), openedUs, endUs, t.lastHash());
  }

  /** The last line of a file that ends with a newline (a torn line after it is skipped). */
  private static String lastWholeLine(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      for (long chunk = 8192; ; chunk *= 2) {
        long from = Math.max(0, size - chunk);
        ByteBuffer b = ByteBuffer.allocate((int) (size - from));
        while (b.hasRemaining() && ch.read(b, from + b.position()) >= 0) {
          // read to the end
        }
        byte[] a = b.array();
        int end = a.length - 1;
        while (end >= 0 && a[end] != '\n') {
          end--;
        }
        int start = end - 1;
        while (start >= 0 && a[start] != '\n') {
          start--;
        }
        if ((end < 0 || start < 0) && from > 0) {
          continue; // the line starts before this chunk
        }
        return end < 0 ? "" : new String(a, start + 1, end - start - 1, StandardCharsets.UTF_8);
      }
    }
  }

  /**
   * The newest retention line in a directory: such lines follow a segment's open line (retention
   * runs right after a segment is opened), so only the heads of segments are read, newest first.
   */
  static Retention latestRetention(List<Path> segments) throws IOException {
    for (int s = segments.size() - 1; s >= 0; s--) {
      Retention found = null;
      try (BufferedReader in = Files.newBufferedReader(segments.get(s), StandardCharsets.UTF_8)) {
        String l;
        while ((l = in.readLine()) != null) {
          int h = l.lastIndexOf(HASH_KEY);
          String t = h < 0 ? "" : type(l.substring(0, h));
          if (t.equals("retention")) {
            found = retention(l);
          } else if (!t.equals("open")) {
            break;
          }
        }
      }
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  static String fileName(long segment) {
    return String.format(
        Locale.ROOT, "%s%010d%s", AuditLog.SEGMENT_PREFIX, segment, AuditLog.SEGMENT_SUFFIX);
  }

  /**
   * "segment 3 (audit-0000000003.jsonl)" or "segments 1-18 (audit-…01.jsonl to audit-…18.jsonl)".
   */
  static String segmentsText(long from, long to) {
    return from == to
        ? "segment " + from + " (" + fileName(from) + ")"
        : "segments " + from + "-" + to + " (" + fileName(from) + " to " + fileName(to) + ")";
  }

  /** Epoch microseconds as an ISO-8601 instant. */
  static String instant(long us) {
    return Instant.ofEpochSecond(
            Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L)
        .toString();
  }

  private static String chain(MessageDigest sha, String prev, String content) {
    sha.reset();
    sha.update(prev.getBytes(StandardCharsets.US_ASCII));
    sha.update(content.getBytes(StandardCharsets.UTF_8));
    return AuditLog.hex(sha.digest());
  }

  /** The first line of the oldest segment kept, when that is not segment 1. */
  private record Anchor(String name, long segment, String content, String hash) {}

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
    List<Gap> gaps = new ArrayList<>();
    List<Retention> retentions = new ArrayList<>();
    String prev = null;
    Anchor anchor = null;
    long count = 0;
    long first = 0;
    long last = 0;
    long previousNumber = 0;
    for (int s = 0; s < segments.size(); s++) {
      Path seg = segments.get(s);
      String name = seg.getFileName().toString();
      long number = segmentNumber(seg);
      if (s > 0 && number != previousNumber + 1) {
        problems.add(
            segmentsText(previousNumber + 1, number - 1)
                + " missing between "
                + fileName(previousNumber)
                + " and "
                + name
                + ": retention only deletes the oldest segments, so this was deleted by hand"
                + " (or lost)");
        return new Report(segments.size(), count, first, last, problems, notes, gaps, null);
      }
      previousNumber = number;
      String text = Files.readString(seg, StandardCharsets.UTF_8);
      boolean torn = !text.isEmpty() && !text.endsWith("\n");
      String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
      int whole = lines.length - 1; // split leaves "" or the torn part last
      boolean closed = false;
      for (int i = 0; i < whole; i++) {
        String l = lines[i];
        int h = l.lastIndexOf(HASH_KEY);
        if (h < 0 || l.length() != h + HASH_KEY.length() + 64 + 2) {
          problems.add(name + " line " + (i + 1) + ": malformed record (no hash at its end)");
          return new Report(segments.size(), count, first, last, problems, notes, gaps, null);
        }
        String content = l.substring(0, h);
        String hash = l.substring(h + HASH_KEY.length(), h + HASH_KEY.length() + 64);
        if (prev == null && number != 1) {
          // Segment 1 starts the chain from zeros; a later oldest segment must continue the last
          // hash its retention line names (checked once that line has been read).
          anchor = new Anchor(name, number, content, hash);
        } else if (!chain(sha, prev == null ? AuditLog.ZERO_HASH : prev, content).equals(hash)) {
          problems.add(
              name
                  + " line "
                  + (i + 1)
                  + ": hash mismatch: the record was changed, or a record before it was removed"
                  + " or changed");
          return new Report(segments.size(), count, first, last, problems, notes, gaps, null);
        }
        prev = hash;
        String type = type(content);
        if (type.equals("record") || type.equals("reject")) {
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
        } else if (type.equals("dropped")) {
          gaps.add(gap(l));
        } else if (type.equals("retention")) {
          retentions.add(retention(l));
        }
        closed = type.equals("close");
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
    Retention deleted = checkRetention(sha, anchor, retentions, problems, notes);
    noteGaps(gaps, notes);
    return new Report(segments.size(), count, first, last, problems, notes, gaps, deleted);
  }

  /**
   * The oldest segment kept, when it is not segment 1, must continue the last hash of the segment
   * before it as a retention line names it, and retention must have deleted every segment before.
   */
  private static Retention checkRetention(
      MessageDigest sha,
      Anchor anchor,
      List<Retention> retentions,
      List<String> problems,
      List<String> notes) {
    long keptFrom = anchor == null ? 1 : anchor.segment();
    for (Retention r : retentions) {
      if (r.lastSegment() >= keptFrom) {
        notes.add(
            "a retention line names "
                + segmentsText(Math.max(keptFrom, r.firstSegment()), r.lastSegment())
                + " as deleted, but it is still here (the service stopped during the deletion)");
        break;
      }
    }
    if (anchor == null) {
      return null;
    }
    Retention named = null;
    for (Retention r : retentions) {
      if (r.lastSegment() == anchor.segment() - 1) {
        named = r; // the newest one naming it
      }
    }
    if (named == null) {
      problems.add(
          segmentsText(1, anchor.segment() - 1)
              + " missing, and no retention line in the chain names it: deleted by hand, not by"
              + " retention (or by a version that did not yet record retention)");
      return null;
    }
    if (!chain(sha, named.lastHash(), anchor.content()).equals(anchor.hash())) {
      problems.add(
          anchor.name()
              + " line 1: does not continue the last hash of segment "
              + named.lastSegment()
              + " that retention recorded: its start was cut or the segment replaced");
      return named;
    }
    if (named.firstSegment() != 1) {
      problems.add(
          segmentsText(1, named.firstSegment() - 1)
              + " missing, and no retention line in the chain names it: deleted by hand, not by"
              + " retention (or by a version that did not yet record retention)");
    }
    notes.add(
        segmentsText(named.firstSegment(), named.lastSegment())
            + " deleted by retention "
            + (named.firstAtUs() == named.atUs()
                ? "at " + instant(named.atUs())
                : "between " + instant(named.firstAtUs()) + " and " + instant(named.atUs()))
            + " (records "
            + named.firstRecord()
            + "-"
            + named.lastRecord()
            + ", "
            + instant(named.fromUs())
            + " to "
            + instant(named.toUs())
            + "); the chain is checked from "
            + anchor.name()
            + ", which continues their last hash");
    return named;
  }

  /** One note per camera that lost records: how many, in how many gaps, over which time. */
  private static void noteGaps(List<Gap> gaps, List<String> notes) {
    Map<String, long[]> byCamera = new LinkedHashMap<>();
    for (Gap g : gaps) {
      long[] a =
          byCamera.computeIfAbsent(
              g.camera(), k -> new long[] {0, 0, Long.MAX_VALUE, Long.MIN_VALUE});
      a[0] += g.dropped();
      a[1]++;
      a[2] = Math.min(a[2], g.fromUs());
      a[3] = Math.max(a[3], g.toUs());
    }
    byCamera.forEach(
        (cam, a) ->
            notes.add(
                (cam == null ? "records without a camera" : "camera " + cam)
                    + ": "
                    + a[0]
                    + " records dropped, not written ("
                    + a[1]
                    + " gap(s) between "
                    + instant(a[2])
                    + " and "
                    + instant(a[3])
                    + "): the audit queue held its share; each gap is a \"dropped\" line in the"
                    + " chain"));
  }
}
