package io.lineinspect.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lineinspect.app.InspectCommand;
import io.lineinspect.core.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect gate}: the CI latency gate. Two checks with thresholds from {@code
 * configs/latency-gate.yaml}: the end-to-end p99 (and fail-safe share) of the demo line at a
 * moderate rate, measured by {@link LoadgenCommand} in this process, and the pipeline hand-off
 * percentiles of a JMH benchmark run in a child JVM. Prints measured vs threshold per check and
 * exits 1 when one fails.
 *
 * <p>Each check passes at the first of its repetitions that is within every threshold, so a noisy
 * neighbour costs a retry, not a red build; a real slowdown fails all of them. {@code
 * --inject-delay-ms} / {@code --inject-handoff-us} (or the environment variables below) inject a
 * deliberate slowdown to show that the gate fails.
 */
@Command(
    name = "gate",
    mixinStandardHelpOptions = true,
    description = "CI latency gate: end-to-end p99 of the demo line and the pipeline hand-off.")
public final class GateCommand implements Callable<Integer> {

  @Option(
      names = "--thresholds",
      description = "Threshold file (default: configs/latency-gate.yaml of the install).")
  Path thresholds;

  @Option(
      names = "--inject-delay-ms",
      defaultValue = "${env:INSPECT_GATE_INJECT_DELAY_MS:-0}",
      description =
          "Deliberate slowdown: sleep this long in every inference batch of the end-to-end run"
              + " (env INSPECT_GATE_INJECT_DELAY_MS; default 0).")
  double injectDelayMs;

  @Option(
      names = "--inject-handoff-us",
      defaultValue = "${env:INSPECT_GATE_INJECT_HANDOFF_US:-0}",
      description =
          "Deliberate slowdown: busy-wait this long per frame in the hand-off benchmark's"
              + " preprocessor (env INSPECT_GATE_INJECT_HANDOFF_US; default 0).")
  long injectHandoffUs;

  @Option(
      names = "--inject-frame-cpu-ms",
      defaultValue = "${env:INSPECT_GATE_INJECT_FRAME_CPU_MS:-0}",
      description =
          "Deliberate slowdown: burn this much CPU in the preprocessing of every frame of the"
              + " efficiency run (env INSPECT_GATE_INJECT_FRAME_CPU_MS; default 0).")
  double injectFrameCpuMs;

  @Option(names = "--skip-handoff", description = "Skip the hand-off check.")
  boolean skipHandoff;

  @Option(names = "--skip-end-to-end", description = "Skip the end-to-end check.")
  boolean skipEndToEnd;

  @Option(names = "--skip-efficiency", description = "Skip the efficiency check.")
  boolean skipEfficiency;

  private final PrintStream out = System.out;
  private final List<String> verdicts = new ArrayList<>();
  private boolean failed;

  @Override
  public Integer call() throws Exception {
    Path home = InspectCommand.home();
    Path file = thresholds != null ? thresholds : home.resolve("configs/latency-gate.yaml");
    JsonNode t = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    if (injectDelayMs > 0 || injectHandoffUs > 0 || injectFrameCpuMs > 0) {
      out.printf(
          Locale.ROOT,
          "gate: INJECTED SLOWDOWN: %.1f ms per inference batch, %d us per hand-off frame,"
              + " %.1f ms CPU per frame of the efficiency run%n",
          injectDelayMs,
          injectHandoffUs,
          injectFrameCpuMs);
    }
    if (!skipEndToEnd) {
      endToEnd(required(t, "endToEnd", file), home, file);
    }
    if (!skipEfficiency) {
      efficiency(required(t, "efficiency", file), home, file);
    }
    if (!skipHandoff) {
      handoff(required(t, "handoff", file), home, file);
    }
    out.println("---- latency gate (" + file + ") ----");
    verdicts.forEach(out::println);
    out.println(failed ? "gate: FAILED" : "gate: PASSED");
    return failed ? 1 : 0;
  }

  private void endToEnd(JsonNode e, Path home, Path file) throws Exception {
    Path config = home.resolve(required(e, "config", file).asText());
    int budgetMs = ConfigLoader.load(config).line().budgetMs();
    JsonNode maxP99 = required(e, "maxP99Ms", file);
    double maxP99Ms = "budget".equals(maxP99.asText()) ? budgetMs : maxP99.asDouble();
    double maxFailSafe = required(e, "maxFailSafeShare", file).asDouble();
    int reps = required(e, "repetitions", file).asInt();
    int cameras = required(e, "cameras", file).asInt();
    double fps = required(e, "totalFps", file).asDouble();
    String what =
        String.format(
            Locale.ROOT,
            "end-to-end (%s, %d camera(s), %.0f frames/s total)",
            config.getFileName(),
            cameras,
            fps);
    double bestP99 = Double.MAX_VALUE;
    double bestFailSafe = 1;
    boolean promises = true;
    boolean pass = false;
    for (int rep = 1; rep <= reps && !pass; rep++) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "--config=" + config,
                  "--cameras=" + cameras,
                  "--rate=" + fps,
                  "--frames=parts",
                  "--size=" + required(e, "frameSide", file).asInt(),
                  "--warmup-seconds=" + required(e, "warmupSeconds", file).asDouble(),
                  "--seconds=" + required(e, "seconds", file).asDouble(),
                  "--model-seconds=0",
                  "--inject-delay-ms=" + injectDelayMs,
                  "--json"));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int rc =
          new CommandLine(new LoadgenCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
              .execute(args.toArray(String[]::new));
      List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
      JsonNode s;
      try {
        s = new ObjectMapper().readTree(lines.get(lines.size() - 1)).get("service");
      } catch (IOException | RuntimeException ex) {
        lines.forEach(out::println);
        throw new IllegalStateException("loadgen did not report (exit " + rc + ")", ex);
      }
      double p99 = s.get("latencyP99Ms").asDouble();
      double failSafe = s.get("failSafeShare").asDouble();
      boolean kept = s.get("framesWithoutVerdict").asLong() == 0 && rc != 3;
      promises &= kept;
      pass = kept && p99 <= maxP99Ms && failSafe <= maxFailSafe;
      out.printf(
          Locale.ROOT,
          "gate: %s run %d/%d: p50 %.2f ms, p99 %.2f ms, fail-safe %.2f%% %s, without verdict %d:"
              + " %s%n",
          what,
          rep,
          reps,
          s.get("latencyP50Ms").asDouble(),
          p99,
          100 * failSafe,
          s.get("byReason"),
          s.get("framesWithoutVerdict").asLong(),
          pass ? "within" : "over");
      if (p99 < bestP99) {
        bestP99 = p99;
        bestFailSafe = failSafe;
      }
    }
    record(what + " p99 (best run)", bestP99, "ms", maxP99Ms, pass || bestP99 <= maxP99Ms);
    record(
        what + " fail-safe share",
        100 * bestFailSafe,
        "%",
        100 * maxFailSafe,
        pass || bestFailSafe <= maxFailSafe);
    if (!pass) {
      failed = true;
    }
    if (!promises) {
      verdicts.add(
          "gate: FAIL  " + what + ": a frame got no verdict (or a duplicate/out of order)");
      failed = true;
    }
  }

  /**
   * The efficiency floor: in one loadgen run, the bare model's best frames/s is measured, then the
   * service is offered {@code minEfficiency} x that rate; the check passes when the service keeps
   * the step within its budget (camera-side p99, at most 1 % fail-safe, every frame answered), i.e.
   * its efficiency is at least the floor, a ratio of two figures measured minutes apart at most.
   */
  private void efficiency(JsonNode e, Path home, Path file) throws Exception {
    Path config = home.resolve(required(e, "config", file).asText());
    double floor = required(e, "minEfficiency", file).asDouble();
    if (!(floor > 0 && floor <= 1)) {
      throw new IllegalArgumentException(file + ": efficiency.minEfficiency must be in (0, 1]");
    }
    int reps = required(e, "repetitions", file).asInt();
    int cameras = required(e, "cameras", file).asInt();
    String format = required(e, "format", file).asText();
    int side = required(e, "frameSide", file).asInt();
    String what =
        String.format(
            Locale.ROOT,
            "efficiency (%s, %d camera(s), %dx%d %s, offered %.2f x bare model)",
            config.getFileName(),
            cameras,
            side,
            side,
            format,
            floor);
    boolean promises = true;
    boolean pass = false;
    for (int rep = 1; rep <= reps && !pass; rep++) {
      List<String> args =
          List.of(
              "--config=" + config,
              "--cameras=" + cameras,
              "--rate-share=" + floor,
              "--frames=parts",
              "--format=" + format,
              "--size=" + side,
              "--model-seconds=" + required(e, "modelSeconds", file).asDouble(),
              "--warmup-seconds=" + required(e, "warmupSeconds", file).asDouble(),
              "--seconds=" + required(e, "seconds", file).asDouble(),
              "--inject-frame-cpu-ms=" + injectFrameCpuMs,
              "--json");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int rc =
          new CommandLine(new LoadgenCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)))
              .execute(args.toArray(String[]::new));
      List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
      JsonNode j;
      try {
        j = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        j.get("service").get("judgedFps").asDouble(); // present, or the report is not there
        j.get("bareModel").get("fps").asDouble();
      } catch (IOException | RuntimeException ex) {
        lines.forEach(out::println);
        throw new IllegalStateException("loadgen did not report (exit " + rc + ")", ex);
      }
      JsonNode s = j.get("service");
      double bare = j.get("bareModel").get("fps").asDouble();
      double judged = s.get("judgedFps").asDouble();
      boolean kept = s.get("framesWithoutVerdict").asLong() == 0 && rc != 3;
      promises &= kept;
      boolean within = kept && s.get("withinBudget").asBoolean();
      // Within budget at floor x bare: the efficiency is at least the floor. Judged frames/s over
      // the bare model's is printed as measured (fail-safe verdicts do not count in it).
      pass = within;
      out.printf(
          Locale.ROOT,
          "gate: %s run %d/%d: bare model %.1f frames/s (batch %d), offered %.1f, judged %.1f"
              + " frames/s (%.3f x bare), p99 %.2f ms, fail-safe %.2f%%, without verdict %d: %s%n",
          what,
          rep,
          reps,
          bare,
          j.get("bareModel").get("bestBatch").asInt(),
          s.get("offeredFps").asDouble(),
          judged,
          judged / bare,
          s.get("latencyP99Ms").asDouble(),
          100 * s.get("failSafeShare").asDouble(),
          s.get("framesWithoutVerdict").asLong(),
          within ? "within" : "over");
    }
    verdicts.add(
        String.format(
            Locale.ROOT,
            "gate: %-4s %s: %s, threshold efficiency >= %.2f",
            pass ? "PASS" : "FAIL",
            what,
            pass ? "within budget at that rate" : "over budget in every run",
            floor));
    if (!pass) {
      failed = true;
    }
    if (!promises) {
      verdicts.add(
          "gate: FAIL  " + what + ": a frame got no verdict (or a duplicate/out of order)");
      failed = true;
    }
  }

  private void handoff(JsonNode h, Path home, Path file) throws Exception {
    Path jar = home.resolve("benchmarks/target/benchmarks.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          jar
              + " is missing: build it with ./mvnw -B -pl benchmarks -am package -DskipTests"
              + " (./mvnw verify builds it too)");
    }
    String benchmark = required(h, "benchmark", file).asText();
    int payload = required(h, "payloadBytes", file).asInt();
    double maxP50 = required(h, "maxP50Us", file).asDouble();
    double maxP99 = required(h, "maxP99Us", file).asDouble();
    int reps = required(h, "repetitions", file).asInt();
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String what = String.format(Locale.ROOT, "hand-off %s (%d B payload)", benchmark, payload);
    double bestP50 = Double.MAX_VALUE;
    double bestP99 = Double.MAX_VALUE;
    boolean pass = false;
    for (int rep = 1; rep <= reps && !pass; rep++) {
      Path result = Files.createTempFile("gate-handoff", ".json");
      try {
        List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar.toString(), benchmark));
        cmd.addAll(List.of("-p", "payloadBytes=" + payload));
        cmd.addAll(Arrays.asList(required(h, "jmhArgs", file).asText().trim().split("\\s+")));
        cmd.addAll(List.of("-rf", "json", "-rff", result.toString()));
        if (injectHandoffUs > 0) {
          cmd.addAll(List.of("-jvmArgsAppend", "-Dbench.injectDelayUs=" + injectHandoffUs));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        JsonNode json = new ObjectMapper().readTree(result.toFile());
        if (rc != 0 || !json.isArray() || json.isEmpty()) {
          out.println(log);
          throw new IllegalStateException("the hand-off benchmark failed (exit " + rc + ")");
        }
        JsonNode pct = json.get(0).get("primaryMetric").get("scorePercentiles");
        double p50 = pct.get("50.0").asDouble();
        double p99 = pct.get("99.0").asDouble();
        pass = p50 <= maxP50 && p99 <= maxP99;
        out.printf(
            Locale.ROOT,
            "gate: %s run %d/%d: p50 %.1f us, p99 %.1f us: %s%n",
            what,
            rep,
            reps,
            p50,
            p99,
            pass ? "within" : "over");
        if (p99 < bestP99 || (pass && p50 <= maxP50)) {
          bestP99 = p99;
          bestP50 = p50;
        }
      } finally {
        Files.deleteIfExists(result);
      }
    }
    record(what + " p50 (best run)", bestP50, "us", maxP50, pass || bestP50 <= maxP50);
    record(what + " p99 (best run)", bestP99, "us", maxP99, pass || bestP99 <= maxP99);
    if (!pass) {
      failed = true;
    }
  }

  private void record(String what, double measured, String unit, double max, boolean ok) {
    verdicts.add(
        String.format(
            Locale.ROOT,
            "gate: %-4s %s: measured %.2f %s, threshold <= %.2f %s",
            ok ? "PASS" : "FAIL",
            what,
            measured,
            unit,
            max,
            unit));
  }

  private static JsonNode required(JsonNode node, String key, Path file) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(file + ": " + key + " is required");
    }
    return v;
  }
}
