package io.lineinspect.app.cli;

import io.lineinspect.plant.PlantView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect plant}: the plant view over many lines' Kafka topics ({@code docs/plant.md}):
 * yield, fail-safe rates, reject misses, model versions and alarms per line for a shift, and each
 * line's audit hash chain verified from Kafka alone.
 */
@Command(
    name = "plant",
    mixinStandardHelpOptions = true,
    description =
        "Read the lines' topics on the plant's Kafka and report per line: yield, fail-safe rate,"
            + " reject misses, model versions, alarms; verify every line's audit hash chain end to"
            + " end. Exit 0 when every chain verifies (gaps the exporter recorded are named), 4"
            + " when one is broken (a record missing, altered or inserted).")
public final class PlantCommand implements Callable<Integer> {
  @Option(
      names = "--kafka",
      required = true,
      paramLabel = "HOST:PORT[,HOST:PORT]",
      description = "The plant's brokers.")
  String kafka;

  @Option(
      names = "--lines",
      split = ",",
      description = "Line ids to report (default: every line found under the topic prefix).")
  List<String> lines = List.of();

  @Option(
      names = "--topic-prefix",
      defaultValue = "lineinspect",
      description = "kafka.topicPrefix of the lines. Default: ${DEFAULT-VALUE}.")
  String prefix;

  @Option(
      names = "--from",
      description = "Start of the shift (ISO-8601 instant, e.g. 2026-12-02T06:00:00Z).")
  Instant from;

  @Option(names = "--to", description = "End of the shift (ISO-8601 instant, exclusive).")
  Instant to;

  @Option(
      names = "--hours",
      description = "The shift is the last this many hours (instead of --from/--to).")
  Double hours;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Option(
      names = "--timeout-ms",
      defaultValue = "30000",
      description = "Longest wait for the brokers and the topics' ends. Default: ${DEFAULT-VALUE}.")
  long timeoutMs;

  @Override
  public Integer call() {
    Long fromUs = from == null ? null : micros(from);
    Long toUs = to == null ? null : micros(to);
    if (hours != null) {
      if (from != null || to != null) {
        throw new IllegalArgumentException("--hours replaces --from/--to: give one or the other");
      }
      Instant now = Instant.now();
      fromUs = micros(now.minus(Duration.ofMillis((long) (hours * 3_600_000))));
      toUs = null;
    }
    Map<String, Object> report =
        PlantView.read(
            new PlantView.Options(kafka, prefix, lines, fromUs, toUs, timeoutMs, Map.of()));
    System.out.print(json ? PlantView.json(report) + "\n" : PlantView.text(report));
    return Boolean.TRUE.equals(report.get("chainsVerified")) ? 0 : 4;
  }

  private static long micros(Instant i) {
    return i.getEpochSecond() * 1_000_000 + i.getNano() / 1_000;
  }
}
