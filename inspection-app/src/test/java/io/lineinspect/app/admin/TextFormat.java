package io.lineinspect.app.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, as Prometheus' own parser reads
 * it, for tests: the client library has no parser of its own. It refuses what a scraper would
 * refuse or silently misread: a malformed line, label or value, an unknown type, a second TYPE or
 * HELP for a family, a TYPE after the family's samples, a family split in two, a sample whose name
 * does not belong to its family's type, a series written twice, a histogram without a +Inf bucket,
 * with buckets that decrease or a {@code _count} other than its +Inf bucket, and a negative
 * counter.
 */
public final class TextFormat {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern VALUE =
      Pattern.compile("NaN|[+-]Inf|[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  /** One metric family: its type, help and samples in order. */
  public record Family(String name, String type, String help, List<Sample> samples) {}

  private TextFormat() {}

  /** The families of {@code text} by name, in order; throws {@link IllegalArgumentException}. */
  public static Map<String, Family> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition does not end with a newline");
    }
    Map<String, String> types = new HashMap<>();
    Map<String, String> helps = new HashMap<>();
    Map<String, Family> families = new LinkedHashMap<>();
    Set<String> series = new HashSet<>();
    Set<String> closed = new HashSet<>();
    String open = null;
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        if (n == text.split("\n", -1).length) {
          break;
        }
        throw new IllegalArgumentException("line " + n + ": empty line");
      }
      try {
        if (line.startsWith("#")) {
          String[] p = line.split(" ", 4);
          if (p.length >= 3 && (p[1].equals("TYPE") || p[1].equals("HELP"))) {
            String name = p[2];
            if (!NAME.matcher(name).matches()) {
              throw new IllegalArgumentException("bad metric name '" + name + "'");
            }
            if (families.containsKey(name) && !name.equals(open)) {
              throw new IllegalArgumentException(p[1] + " of " + name + " after its samples");
            }
            if (p[1].equals("TYPE")) {
              if (p.length != 4 || !TYPES.contains(p[3])) {
                throw new IllegalArgumentException("bad type in '" + line + "'");
              }
              if (types.put(name, p[3]) != null || families.containsKey(name)) {
                throw new IllegalArgumentException(
                    "second TYPE (or TYPE after samples) of " + name);
              }
            } else {
              String help = p.length == 4 ? p[3] : "";
              checkEscapes(help, false);
              if (helps.put(name, help) != null) {
                throw new IllegalArgumentException("second HELP of " + name);
              }
            }
          }
          continue;
        }
        Sample s = sample(line);
        String family = familyOf(s.name(), types);
        String type = types.getOrDefault(family, "untyped");
        if (!family.equals(open)) {
          if (open != null) {
            closed.add(open);
          }
          if (closed.contains(family)) {
            throw new IllegalArgumentException("family " + family + " is split in two");
          }
          open = family;
        }
        checkBelongs(s, family, type);
        if (!series.add(s.name() + new TreeMap<>(s.labels()))) {
          throw new IllegalArgumentException("series written twice: " + s.name() + s.labels());
        }
        families
            .computeIfAbsent(
                family, f -> new Family(f, type, helps.getOrDefault(f, ""), new ArrayList<>()))
            .samples()
            .add(s);
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        throw new IllegalArgumentException("line " + n + ": " + e.getMessage() + ": " + line, e);
      }
    }
    families.values().forEach(TextFormat::checkFamily);
    return families;
  }

  private static String familyOf(String name, Map<String, String> types) {
    for (String suffix : new String[] {"_bucket", "_count", "_sum"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String t = types.get(base);
        if ("histogram".equals(t) || "summary".equals(t) && !suffix.equals("_bucket")) {
          return base;
        }
      }
    }
    return name;
  }

  private static void checkBelongs(Sample s, String family, String type) {
    boolean base = s.name().equals(family);
    switch (type) {
      case "histogram" -> {
        if (base || s.name().endsWith("_bucket") != s.labels().containsKey("le")) {
          throw new IllegalArgumentException("not a histogram sample (or 'le' misplaced)");
        }
      }
      case "summary" -> {
        if (base != s.labels().containsKey("quantile")) {
          throw new IllegalArgumentException("not a summary sample (or 'quantile' misplaced)");
        }
        if (base) {
          double q = Double.parseDouble(s.labels().get("quantile"));
          if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile outside [0, 1]");
          }
        }
      }
      case "counter" -> {
        if (!(s.value() >= 0) && !Double.isNaN(s.value())) {
          throw new IllegalArgumentException("negative counter");
        }
      }
      default -> {}
    }
  }

  private static void checkFamily(Family f) {
    if (!f.type().equals("histogram")) {
      return;
    }
    Map<Map<String, String>, List<Sample>> byLabels = new LinkedHashMap<>();
    Map<Map<String, String>, Double> counts = new HashMap<>();
    for (Sample s : f.samples()) {
      Map<String, String> l = new TreeMap<>(s.labels());
      l.remove("le");
      if (s.name().endsWith("_bucket")) {
        byLabels.computeIfAbsent(l, k -> new ArrayList<>()).add(s);
      } else if (s.name().endsWith("_count")) {
        counts.put(l, s.value());
      }
    }
    byLabels.forEach(
        (l, buckets) -> {
          double last = -1;
          double lastBound = Double.NEGATIVE_INFINITY;
          for (Sample b : buckets) {
            double bound = Double.parseDouble(b.labels().get("le").replace("+Inf", "Infinity"));
            if (bound <= lastBound || b.value() < last) {
              throw new IllegalArgumentException(f.name() + l + ": buckets not cumulative");
            }
            last = b.value();
            lastBound = bound;
          }
          if (lastBound != Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(f.name() + l + ": no +Inf bucket");
          }
          if (counts.get(l) == null || counts.get(l) != last) {
            throw new IllegalArgumentException(f.name() + l + ": _count is not the +Inf bucket");
          }
        });
  }

  private static Sample sample(String line) {
    Matcher m = NAME.matcher(line);
    if (!m.lookingAt()) {
      throw new IllegalArgumentException("no metric name");
    }
    String name = m.group();
    int i = m.end();
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        Matcher ln = LABEL_NAME.matcher(line).region(i, line.length());
        if (!ln.lookingAt() || line.charAt(ln.end()) != '=' || line.charAt(ln.end() + 1) != '"') {
          throw new IllegalArgumentException("bad label at column " + i);
        }
        StringBuilder v = new StringBuilder();
        int j = ln.end() + 2;
        for (; line.charAt(j) != '"'; j++) {
          char c = line.charAt(j);
          if (c == '\\') {
            char e = line.charAt(++j);
            if (e != '\\' && e != '"' && e != 'n') {
              throw new IllegalArgumentException("bad escape \\" + e + " in a label value");
            }
            v.append(e == 'n' ? '\n' : e);
          } else {
            v.append(c);
          }
        }
        if (labels.put(ln.group(), v.toString()) != null) {
          throw new IllegalArgumentException("label " + ln.group() + " twice");
        }
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        } else if (line.charAt(i) != '}') {
          throw new IllegalArgumentException("expected ',' or '}' at column " + i);
        }
      }
      i++;
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw new IllegalArgumentException("expected one space before the value");
    }
    String[] rest = line.substring(i + 1).split(" ", -1);
    if (rest.length > 2 || !VALUE.matcher(rest[0]).matches()) {
      throw new IllegalArgumentException("bad value '" + line.substring(i + 1) + "'");
    }
    if (rest.length == 2 && !rest[1].matches("-?\\d+")) {
      throw new IllegalArgumentException("bad timestamp");
    }
    double value = Double.parseDouble(rest[0].replace("Inf", "Infinity"));
    return new Sample(name, labels, value);
  }

  private static void checkEscapes(String help, boolean quotes) {
    for (int i = 0; i < help.length(); i++) {
      if (help.charAt(i) == '\\') {
        char e = i + 1 < help.length() ? help.charAt(i + 1) : ' ';
        if (e != '\\' && e != 'n' && !(quotes && e == '"')) {
          throw new IllegalArgumentException("bad escape in HELP");
        }
        i++;
      }
    }
  }
}
