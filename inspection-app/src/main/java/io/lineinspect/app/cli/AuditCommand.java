package io.lineinspect.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineinspect.app.InspectCommand;
import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.config.ConfigLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect audit verify|query}: check and search the audit trail. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Verify and query the audit trail (docs/operations.md).",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Query.class})
public final class AuditCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** Where the audit trail is: --dir, or audit.dir of --config (default the demo config). */
  static final class Where {
    @Option(names = "--dir", description = "Audit directory.")
    Path dir;

    @Option(
        names = "--config",
        description = "Line configuration whose audit.dir to use (default configs/demo-line.yaml).")
    Path config;

    Path resolve() {
      if (dir != null) {
        return dir;
      }
      return InspectCommand.home().resolve(ConfigLoader.load(configFile()).audit().dir());
    }

    Path configFile() {
      return config != null ? config : InspectCommand.home().resolve("configs/demo-line.yaml");
    }

    /** The image archive of the same configuration. */
    Path archive() {
      return InspectCommand.home().resolve(ConfigLoader.load(configFile()).archive().dir());
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check every record's hash chain; names the first changed, removed or cut-short record,"
              + " and any segment missing that retention did not record deleting; reports what"
              + " retention deleted and the records dropped as gaps. Exit 0 when intact, 4 when"
              + " not.")
  static final class Verify implements Callable<Integer> {
    @picocli.CommandLine.Mixin Where where;

    @Override
    public Integer call() throws IOException {
      Path dir = where.resolve();
      AuditVerifier.Report r = AuditVerifier.verify(dir, null);
      PrintStream out = System.out;
      out.printf(
          "audit %s: %d segment(s), %d records (%d..%d)%n",
          dir, r.segments(), r.records(), r.firstRecord(), r.lastRecord());
      r.notes().forEach(n -> out.println("note: " + n));
      if (r.ok()) {
        out.println(
            r.dropped() == 0
                ? "OK: the chain is intact"
                : "OK: the chain is intact; "
                    + r.dropped()
                    + " records were dropped, not written, each gap recorded in it (notes above)");
        return 0;
      }
      r.problems().forEach(p -> out.println("TAMPERED OR CORRUPT: " + p));
      return 4;
    }
  }

  @Command(
      name = "query",
      mixinStandardHelpOptions = true,
      description = "Print the records matching every filter given, as JSON lines or CSV.")
  static final class Query implements Callable<Integer> {
    @picocli.CommandLine.Mixin Where where;

    @Option(names = "--camera", description = "Camera id.")
    String camera;

    @Option(names = "--frame", description = "The camera's frame sequence number.")
    Long frame;

    @Option(names = "--verdict", description = "PASS or FAIL.")
    String verdict;

    @Option(names = "--reason", description = "NONE, OVERLOAD, DEADLINE, INFERENCE_ERROR, ...")
    String reason;

    @Option(names = "--model-version", description = "Model version (or name@version).")
    String modelVersion;

    @Option(
        names = "--from",
        description = "Received at or after (ISO-8601, e.g. 2026-11-24T08:00:00Z).")
    String from;

    @Option(names = "--to", description = "Received before (ISO-8601).")
    String to;

    @Option(
        names = "--format",
        defaultValue = "jsonl",
        description = "jsonl or csv (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--limit", defaultValue = "0", description = "At most this many (0 = all).")
    long limit;

    @Option(
        names = "--images",
        description = "After each record, the archived image of the part, when there is one.")
    boolean images;

    private static final List<String> CSV =
        List.of(
            "n",
            "type",
            "cam",
            "frame",
            "captureUs",
            "receivedUs",
            "verdict",
            "reason",
            "score",
            "label",
            "model",
            "version",
            "sha256",
            "latencyUs",
            "actuator",
            "outcome",
            "atUs");

    @Override
    public Integer call() throws IOException {
      if (!format.equals("jsonl") && !format.equals("csv")) {
        throw new IllegalArgumentException("--format must be jsonl or csv, got " + format);
      }
      long fromUs = instantUs(from, "--from", Long.MIN_VALUE);
      long toUs = instantUs(to, "--to", Long.MAX_VALUE);
      ObjectMapper json = new ObjectMapper();
      PrintStream out = System.out;
      if (format.equals("csv")) {
        out.println(String.join(",", CSV));
      }
      long shown = 0;
      for (Path seg : AuditVerifier.segments(where.resolve())) {
        try (BufferedReader in = Files.newBufferedReader(seg, StandardCharsets.UTF_8)) {
          String line;
          while ((line = in.readLine()) != null) {
            boolean reject = line.contains(",\"type\":\"reject\"");
            if (!line.contains(",\"type\":\"record\"") && !reject) {
              continue;
            }
            if (reject && (verdict != null || reason != null || modelVersion != null)) {
              continue; // reject outcomes carry no verdict fields
            }
            JsonNode r;
            try {
              r = json.readTree(line);
            } catch (IOException e) {
              continue; // a torn last line
            }
            long received = reject ? r.path("atUs").asLong() : r.path("receivedUs").asLong();
            if ((camera != null && !camera.equals(r.path("cam").asText()))
                || (frame != null && frame != r.path("frame").asLong())
                || (verdict != null && !verdict.equalsIgnoreCase(r.path("verdict").asText()))
                || (reason != null && !reason.equalsIgnoreCase(r.path("reason").asText()))
                || (modelVersion != null && !matchesModel(r))
                || received < fromUs
                || received >= toUs) {
              continue;
            }
            if (format.equals("jsonl")) {
              out.println(line);
              if (images && !reject) {
                // Every image of the part: two connections may have sent the same identity.
                for (Path img :
                    ImageArchive.filesOf(
                        where.archive(),
                        r.path("cam").asText(),
                        r.path("frame").asLong(),
                        r.path("captureUs").asLong())) {
                  out.println("  image: " + img);
                }
              }
            } else {
              StringBuilder b = new StringBuilder();
              for (String k : CSV) {
                b.append(b.length() == 0 ? "" : ",")
                    .append(csvField(r.path(k).isNull() ? "" : r.path(k).asText()));
              }
              out.println(b);
            }
            if (limit > 0 && ++shown >= limit) {
              return 0;
            }
          }
        }
      }
      return 0;
    }

    /** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
    static String csvField(String v) {
      if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
        return v;
      }
      return '"' + v.replace("\"", "\"\"") + '"';
    }

    private boolean matchesModel(JsonNode r) {
      String v = r.path("version").asText();
      String id = r.path("model").asText() + "@" + v;
      return modelVersion.equals(v) || modelVersion.equals(id);
    }

    private static long instantUs(String text, String option, long def) {
      if (text == null) {
        return def;
      }
      try {
        Instant i = Instant.parse(text);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            option + " must be an ISO-8601 instant like 2026-11-24T08:00:00Z, got " + text);
      }
    }
  }
}
