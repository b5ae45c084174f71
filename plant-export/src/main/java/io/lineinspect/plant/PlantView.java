package io.lineinspect.plant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The plant view ({@code inspect plant}): reads the topics of many lines from the beginning to
 * their end at the time of the call and reports, per line, yield, fail-safe rates, reject misses,
 * the model versions that judged, alarms and gaps for a time window (a shift), and verifies the
 * line's audit hash chain from Kafka alone: every chain record's hash is recomputed from its {@code
 * prev} and its audit line, and the records must link into one chain (a missing record shows as a
 * second start, an inserted or altered one as a hash mismatch or a fork). Duplicates (records sent
 * again after a crash) are recognised by their hash and counted once.
 *
 * <p>Runs on the caller's thread; one consumer, no consumer group, nothing committed.
 */
public final class PlantView {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] AUDIT = ",\"audit\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HASH = ",\"hash\":\"".getBytes(StandardCharsets.US_ASCII);

  private PlantView() {}

  /**
   * @param lines line ids to report; empty = every line found under {@code prefix}
   * @param fromUs start of the window (epoch µs, inclusive), or null for everything
   * @param toUs end of the window (exclusive), or null
   * @param timeoutMs how long to wait for the broker and for the topics' ends
   */
  public record Options(
      String bootstrapServers,
      String prefix,
      List<String> lines,
      Long fromUs,
      Long toUs,
      long timeoutMs,
      Map<String, String> consumer) {}

  /** Reads the topics and builds the report. */
  public static Map<String, Object> read(Options o) {
    Properties p = new Properties();
    p.putAll(o.consumer() == null ? Map.of() : o.consumer());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(o.timeoutMs()));
    p.put(
        ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(o.timeoutMs(), 30_000)));
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 << 20));
    Map<String, Line> lines = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<String, List<PartitionInfo>> all = c.listTopics(Duration.ofMillis(o.timeoutMs()));
      List<TopicPartition> parts = new ArrayList<>();
      for (Map.Entry<String, List<PartitionInfo>> e : all.entrySet()) {
        String line = lineOf(o.prefix(), e.getKey());
        if (line == null || (!o.lines().isEmpty() && !o.lines().contains(line))) {
          continue;
        }
        lines.computeIfAbsent(line, Line::new);
        for (PartitionInfo pi : e.getValue()) {
          parts.add(new TopicPartition(pi.topic(), pi.partition()));
        }
      }
      for (String wanted : o.lines()) {
        lines.computeIfAbsent(wanted, Line::new).missing = !all.containsKey(topic(o, wanted));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts));
      end.entrySet().removeIf(e -> e.getValue() == 0);
      long until = System.nanoTime() + o.timeoutMs() * 1_000_000;
      while (!end.isEmpty()) {
        if (System.nanoTime() - until > 0) {
          throw new IllegalStateException(
              "the topics' ends were not reached within " + o.timeoutMs() + " ms: " + end.keySet());
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          String line = lineOf(o.prefix(), r.topic());
          lines.get(line).add(r.value(), r.partition(), r.offset(), o);
        }
        end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("bootstrapServers", o.bootstrapServers());
    report.put("fromUs", o.fromUs());
    report.put("toUs", o.toUs());
    List<Object> out = new ArrayList<>();
    boolean ok = true;
    for (Line l : lines.values()) {
      Map<String, Object> m = l.report();
      ok &= !"BROKEN".equals(((Map<?, ?>) m.get("chain")).get("status"));
      out.add(m);
    }
    report.put("lines", out);
    report.put("chainsVerified", ok);
    return report;
  }

  private static String topic(Options o, String line) {
    return KafkaExportConfig.topic(o.prefix(), line, "verdicts");
  }

  /** The line id of one of its topics, or null when the name is not one of a line's topics. */
  static String lineOf(String prefix, String topic) {
    if (!topic.startsWith(prefix + ".")) {
      return null;
    }
    for (String kind : PlantRecords.TOPIC_KINDS) {
      if (topic.endsWith("." + kind) && topic.length() > prefix.length() + kind.length() + 2) {
        return topic.substring(prefix.length() + 1, topic.length() - kind.length() - 1);
      }
    }
    return null;
  }

  /** One chain record: its hashes and identity. */
  private record Link(String prev, String hash, String type, long n, String cam) {}

  /** Everything read for one line. */
  private static final class Line {
    final String id;
    boolean missing;
    long records;
    long unreadable;
    long duplicates;
    long altered;
    final List<String> problems = new ArrayList<>();
    final Map<String, Link> byHash = new HashMap<>();
    final Map<String, byte[]> contentByHash = new HashMap<>();
    final Set<String> eventIds = new HashSet<>();
    long verdicts;
    long pass;
    long fail;
    long failSafe;
    final Map<String, Long> failSafeReasons = new TreeMap<>();
    long rejects;
    final Map<String, Long> rejectMisses = new TreeMap<>();
    final Map<String, Map<String, Object>> models = new TreeMap<>();
    final List<Map<String, Object>> modelEvents = new ArrayList<>();
    final Map<String, Long> alarmsRaised = new TreeMap<>();
    long images;
    long gapRecords;
    long gapEvents;
    final Set<String> cameras = new TreeSet<>();
    final Map<Integer, Long> lastNByPartition = new HashMap<>();
    long outOfOrder;
    long firstUs = Long.MAX_VALUE;
    long lastUs = Long.MIN_VALUE;
    final MessageDigest sha;

    Line(String id) {
      this.id = id;
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void add(byte[] value, int partition, long offset, Options o) {
      records++;
      JsonNode v;
      try {
        v = JSON.readTree(value);
      } catch (IOException e) {
        unreadable++;
        problem("offset " + offset + ": not JSON");
        return;
      }
      String type = v.path("type").asText("");
      switch (type) {
        case "verdict", "reject", "chain" -> chain(value, v, partition, o);
        case "alarm", "model", "image", "gap" -> event(v, type, o);
        default -> unreadable++;
      }
    }

    private void problem(String p) {
      if (problems.size() < 20) {
        problems.add(p);
      }
    }

    private boolean inWindow(long us, Options o) {
      return (o.fromUs() == null || us >= o.fromUs()) && (o.toUs() == null || us < o.toUs());
    }

    private void chain(byte[] value, JsonNode v, int partition, Options o) {
      JsonNode a = v.path("audit");
      String prev = v.path("prev").asText("");
      int at = indexOf(value, AUDIT);
      if (at < 0 || !a.isObject()) {
        unreadable++;
        return;
      }
      int start = at + AUDIT.length;
      int len = value.length - 1 - start;
      String hash = a.path("hash").asText("");
      long n = a.path("n").asLong(-1);
      String cam = a.path("cam").isTextual() ? a.path("cam").asText() : null;
      String what =
          a.path("type").asText() + (n >= 0 ? " n=" + n : "") + (cam == null ? "" : " " + cam);
      if (len < PlantRecords.HASH_TAIL
          || !Arrays.equals(
              value,
              start + len - PlantRecords.HASH_TAIL,
              start + len - PlantRecords.HASH_TAIL + HASH.length,
              HASH,
              0,
              HASH.length)) {
        altered++;
        problem(what + ": no chain hash at the end of the audit line");
        return;
      }
      sha.reset();
      sha.update(prev.getBytes(StandardCharsets.US_ASCII));
      sha.update(value, start, len - PlantRecords.HASH_TAIL);
      String computed = HexFormat.of().formatHex(sha.digest());
      if (!computed.equals(hash)) {
        altered++;
        problem(what + ": hash does not match its content (altered)");
        return;
      }
      byte[] content = Arrays.copyOfRange(value, start, start + len);
      Link before = byHash.get(hash);
      if (before != null) {
        if (!before.prev().equals(prev) || !Arrays.equals(contentByHash.get(hash), content)) {
          altered++;
          problem(what + ": two different records with one hash");
        } else {
          duplicates++;
        }
        return;
      }
      String auditType = a.path("type").asText();
      Link link = new Link(prev, hash, auditType, n, cam);
      byHash.put(hash, link);
      contentByHash.put(hash, content);
      if (n >= 0 && cam != null && ("record".equals(auditType))) {
        Long last = lastNByPartition.put(partition, n);
        if (last != null && n < last) {
          outOfOrder++;
        }
      }
      if ("record".equals(auditType)) {
        long us = a.path("receivedUs").asLong();
        if (!inWindow(us, o)) {
          return;
        }
        firstUs = Math.min(firstUs, us);
        lastUs = Math.max(lastUs, us);
        verdicts++;
        if (cam != null) {
          cameras.add(cam);
        }
        if ("PASS".equals(a.path("verdict").asText())) {
          pass++;
        } else {
          fail++;
        }
        String reason = a.path("reason").asText("NONE");
        if (!"NONE".equals(reason)) {
          failSafe++;
          failSafeReasons.merge(reason, 1L, Long::sum);
        }
        if (a.path("model").isTextual()) {
          String id = a.path("model").asText() + "@" + a.path("version").asText();
          Map<String, Object> m =
              models.computeIfAbsent(
                  id,
                  k -> {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("model", a.path("model").asText());
                    x.put("version", a.path("version").asText());
                    x.put("sha256", a.path("sha256").asText());
                    x.put("verdicts", 0L);
                    x.put("firstUs", us);
                    x.put("lastUs", us);
                    return x;
                  });
          m.put("verdicts", (Long) m.get("verdicts") + 1);
          m.put("firstUs", Math.min((Long) m.get("firstUs"), us));
          m.put("lastUs", Math.max((Long) m.get("lastUs"), us));
        }
      } else if ("reject".equals(auditType)) {
        if (!inWindow(a.path("atUs").asLong(), o)) {
          return;
        }
        rejects++;
        String outcome = a.path("outcome").asText();
        if (!"DELIVERED".equals(outcome)) {
          rejectMisses.merge(outcome, 1L, Long::sum);
        }
      }
    }

    private void event(JsonNode v, String type, Options o) {
      String id = v.path("boot").asText() + "/" + v.path("seq").asText();
      if (!eventIds.add(id)) {
        duplicates++;
        return;
      }
      if ("gap".equals(type)) {
        gapEvents++;
        gapRecords += v.path("records").asLong();
        problem(
            "gap: "
                + v.path("records").asLong()
                + " records not exported ("
                + v.path("cause").asText()
                + "); the line's own audit trail has them");
        return; // counted whatever the window: it explains a break in the chain
      }
      if (!inWindow(v.path("atUs").asLong(), o)) {
        return;
      }
      switch (type) {
        case "alarm" -> {
          if ("raised".equals(v.path("state").asText())) {
            alarmsRaised.merge(v.path("alarm").asText(), 1L, Long::sum);
          }
        }
        case "model" -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("atUs", v.path("atUs").asLong());
          m.put("event", v.path("event").asText());
          m.put("model", v.path("model").isTextual() ? v.path("model").asText() : null);
          m.put("version", v.path("version").isTextual() ? v.path("version").asText() : null);
          m.put("outcome", v.path("outcome").isTextual() ? v.path("outcome").asText() : null);
          modelEvents.add(m);
        }
        case "image" -> images++;
        default -> {}
      }
    }

    Map<String, Object> chainReport() {
      Map<String, Object> c = new LinkedHashMap<>();
      Map<String, Integer> successors = new HashMap<>();
      for (Link l : byHash.values()) {
        successors.merge(l.prev(), 1, Integer::sum);
      }
      List<Link> starts = new ArrayList<>();
      long forks = 0;
      for (Link l : byHash.values()) {
        if (!byHash.containsKey(l.prev())) {
          starts.add(l);
        }
      }
      for (Map.Entry<String, Integer> e : successors.entrySet()) {
        if (e.getValue() > 1) {
          forks += e.getValue() - 1;
          problem("fork: " + e.getValue() + " records claim to follow " + e.getKey());
        }
      }
      starts.sort(
          (x, y) ->
              Long.compare(x.n() < 0 ? Long.MAX_VALUE : x.n(), y.n() < 0 ? Long.MAX_VALUE : y.n()));
      long breaks = Math.max(0, starts.size() - 1);
      for (int i = 1; i < starts.size() && i < 10; i++) {
        Link s = starts.get(i);
        problem(
            "break: "
                + s.type()
                + (s.n() >= 0 ? " n=" + s.n() : "")
                + " follows "
                + s.prev()
                + ", which is not on Kafka (a record missing before it)");
      }
      long firstN = Long.MAX_VALUE;
      long lastN = Long.MIN_VALUE;
      for (Link l : byHash.values()) {
        if (l.n() >= 0) {
          firstN = Math.min(firstN, l.n());
          lastN = Math.max(lastN, l.n());
        }
      }
      String status;
      if (byHash.isEmpty() && altered == 0) {
        status = "EMPTY";
      } else if (altered == 0 && forks == 0 && breaks == 0) {
        status = "VERIFIED";
      } else if (altered == 0 && forks == 0 && breaks <= gapEvents) {
        status = "GAPS";
      } else {
        status = "BROKEN";
      }
      c.put("status", status);
      c.put("lines", byHash.size());
      c.put("firstRecord", firstN == Long.MAX_VALUE ? null : firstN);
      c.put("lastRecord", lastN == Long.MIN_VALUE ? null : lastN);
      c.put("breaks", breaks);
      c.put("forks", forks);
      c.put("altered", altered);
      c.put("duplicates", duplicates);
      c.put("gapRecords", gapRecords);
      return c;
    }

    Map<String, Object> report() {
      Map<String, Object> chain = chainReport();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("line", id);
      m.put("found", !missing);
      m.put("kafkaRecords", records);
      m.put("cameras", new ArrayList<>(cameras));
      m.put("firstUs", verdicts == 0 ? null : firstUs);
      m.put("lastUs", verdicts == 0 ? null : lastUs);
      m.put("verdicts", verdicts);
      m.put("pass", pass);
      m.put("fail", fail);
      m.put("yield", verdicts == 0 ? null : (double) pass / verdicts);
      m.put("failSafe", failSafe);
      m.put("failSafeRate", verdicts == 0 ? null : (double) failSafe / verdicts);
      m.put("failSafeReasons", failSafeReasons);
      m.put("rejectOutcomes", rejects);
      long misses = rejectMisses.values().stream().mapToLong(Long::longValue).sum();
      m.put("rejectMisses", misses);
      m.put("rejectMissCauses", rejectMisses);
      m.put("models", new ArrayList<>(models.values()));
      m.put("modelEvents", modelEvents);
      m.put("alarmsRaised", alarmsRaised);
      m.put("images", images);
      m.put("outOfOrder", outOfOrder);
      m.put("unreadable", unreadable);
      m.put("chain", chain);
      m.put("problems", problems);
      return m;
    }
  }

  private static int indexOf(byte[] b, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= b.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The report as text, one block per line. */
  @SuppressWarnings("unchecked")
  public static String text(Map<String, Object> report) {
    StringBuilder b = new StringBuilder();
    for (Object o : (List<Object>) report.get("lines")) {
      Map<String, Object> l = (Map<String, Object>) o;
      Map<String, Object> c = (Map<String, Object>) l.get("chain");
      b.append("line ").append(l.get("line"));
      if (!(Boolean) l.get("found")) {
        b.append(": no topics on the broker\n");
        continue;
      }
      b.append(": ")
          .append(l.get("verdicts"))
          .append(" verdicts from cameras ")
          .append(l.get("cameras"))
          .append('\n');
      b.append(
          String.format(
              java.util.Locale.ROOT,
              "  yield %s (%d PASS, %d FAIL); fail-safe %d (%s) %s%n",
              percent(l.get("yield")),
              l.get("pass"),
              l.get("fail"),
              l.get("failSafe"),
              percent(l.get("failSafeRate")),
              l.get("failSafeReasons")));
      b.append(
          String.format(
              java.util.Locale.ROOT,
              "  rejects: %d outcomes, %d missed %s%n",
              l.get("rejectOutcomes"),
              l.get("rejectMisses"),
              l.get("rejectMissCauses")));
      for (Object mo : (List<Object>) l.get("models")) {
        Map<String, Object> m = (Map<String, Object>) mo;
        b.append(
            String.format(
                java.util.Locale.ROOT,
                "  model %s@%s (sha256 %s): %d verdicts%n",
                m.get("model"),
                m.get("version"),
                String.valueOf(m.get("sha256"))
                    .substring(0, Math.min(12, String.valueOf(m.get("sha256")).length())),
                m.get("verdicts")));
      }
      for (Object eo : (List<Object>) l.get("modelEvents")) {
        Map<String, Object> e = (Map<String, Object>) eo;
        b.append("  model event: ")
            .append(e.get("event"))
            .append(' ')
            .append(e.get("model"))
            .append('@')
            .append(e.get("version"));
        if (e.get("outcome") != null) {
          b.append(' ').append(e.get("outcome"));
        }
        b.append('\n');
      }
      Map<String, Object> alarms = (Map<String, Object>) l.get("alarmsRaised");
      if (!alarms.isEmpty()) {
        b.append("  alarms raised: ").append(alarms).append('\n');
      }
      b.append(
          String.format(
              java.util.Locale.ROOT,
              "  audit chain: %s, %d lines (records %s..%s), %d duplicates ignored, %d breaks,"
                  + " %d forks, %d altered, %d records in gaps%n",
              c.get("status"),
              c.get("lines"),
              c.get("firstRecord"),
              c.get("lastRecord"),
              c.get("duplicates"),
              c.get("breaks"),
              c.get("forks"),
              c.get("altered"),
              c.get("gapRecords")));
      for (Object p : (List<Object>) l.get("problems")) {
        b.append("  ! ").append(p).append('\n');
      }
    }
    b.append(
        (Boolean) report.get("chainsVerified")
            ? "every chain verified\n"
            : "A CHAIN IS BROKEN: records are missing, altered or inserted\n");
    return b.toString();
  }

  private static String percent(Object share) {
    return share == null
        ? "-"
        : String.format(java.util.Locale.ROOT, "%.2f %%", (Double) share * 100);
  }

  /** The report as JSON. */
  public static String json(Map<String, Object> report) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
