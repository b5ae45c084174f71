package io.lineinspect.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code inspect loadgen} over loopback against an in-process service on the builtin backend: a
 * short smoke run (the full measurements are in benchmarks/README.md).
 */
class LoadgenCommandTest {

  private record Run(int exitCode, String text, JsonNode json) {}

  private static Run loadgen(String... args) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    CommandLine cl = new CommandLine(new LoadgenCommand(out));
    int rc = cl.execute(args);
    String text = bytes.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    return new Run(rc, text, json);
  }

  @Test
  void shouldAnswerEveryScheduledFrameAndReportServiceBareModelAndNaiveBaseline() throws Exception {
    Run r =
        loadgen(
            "--config=../configs/demo-line.yaml",
            "--backend=builtin",
            "--frames=raw",
            "--size=64",
            "--cameras=2",
            "--rate=400",
            "--arrival=poisson",
            "--warmup-seconds=0.5",
            "--seconds=1.5",
            "--model-seconds=0.5",
            "--json");
    assertEquals(0, r.exitCode(), r.text());
    JsonNode s = r.json().get("service");
    // Open loop: the schedule decides how many frames go out (Poisson: 600 on average).
    long sent = s.get("framesSent").asLong();
    assertTrue(sent > 400 && sent < 800, "frames sent " + sent);
    assertEquals(sent, s.get("verdictsReceived").asLong(), r.text());
    assertEquals(0, s.get("framesWithoutVerdict").asLong());
    assertTrue(s.get("latencyP99Ms").asDouble() > 0);
    assertTrue(s.get("latencyP99Ms").asDouble() <= s.get("latencyMaxMs").asDouble());
    assertTrue(r.json().get("bareModel").get("fps").asDouble() > 0, r.text());
    assertTrue(r.json().get("naiveBaseline").get("fps").asDouble() > 0, r.text());
    assertTrue(r.json().get("efficiency").asDouble() > 0, r.text());
  }

  @Test
  void shouldReportABudgetMissWhenTheBackendIsDeliberatelySlowed() throws Exception {
    // 60 ms per batch against a 50 ms budget: nothing can be judged in time, every frame must
    // still get its (fail-safe) verdict, and the run must not count as within budget.
    Run r =
        loadgen(
            "--config=../configs/demo-line.yaml",
            "--backend=builtin",
            "--frames=parts",
            "--size=64",
            "--cameras=1",
            "--rate=50",
            "--warmup-seconds=0.5",
            "--seconds=1",
            "--model-seconds=0",
            "--inject-delay-ms=60",
            "--json");
    JsonNode s = r.json().get("service");
    assertEquals(0, s.get("framesWithoutVerdict").asLong(), r.text());
    assertFalse(s.get("withinBudget").asBoolean(), r.text());
    assertTrue(s.get("failSafeShare").asDouble() > 0.5, r.text());
  }

  @Test
  void shouldOfferTheRateShareOfTheBareModelMeasuredInTheSameRun() throws Exception {
    Run r =
        loadgen(
            "--config=../configs/demo-line.yaml",
            "--backend=builtin",
            "--frames=raw",
            "--size=64",
            "--cameras=1",
            "--rate-share=0.002",
            "--warmup-seconds=0.2",
            "--seconds=0.5",
            "--model-seconds=0.4",
            "--json");
    assertEquals(0, r.exitCode(), r.text());
    double bare = r.json().get("bareModel").get("fps").asDouble();
    double offered = r.json().get("service").get("offeredFps").asDouble();
    assertEquals(0.002 * bare, offered, 0.01 * offered + 0.1, r.text());
    assertEquals(0, r.json().get("service").get("framesWithoutVerdict").asLong(), r.text());
  }

  @Test
  void shouldMissTheBudgetWhenEveryFrameBurnsInjectedCpuButStillAnswerEachFrame() throws Exception {
    // 60 ms of CPU in the preprocessing of every frame against a 50 ms budget: the watchdog
    // answers them fail-safe, none is lost, and the run does not count as within budget.
    Run r =
        loadgen(
            "--config=../configs/demo-line.yaml",
            "--backend=builtin",
            "--frames=parts",
            "--size=64",
            "--cameras=1",
            "--rate=10",
            "--warmup-seconds=0.2",
            "--seconds=1",
            "--model-seconds=0",
            "--inject-frame-cpu-ms=60",
            "--json");
    JsonNode s = r.json().get("service");
    assertEquals(60.0, r.json().get("injectFrameCpuMs").asDouble(), r.text());
    assertEquals(0, s.get("framesWithoutVerdict").asLong(), r.text());
    assertEquals(s.get("framesSent").asLong(), s.get("verdictsReceived").asLong(), r.text());
    assertFalse(s.get("withinBudget").asBoolean(), r.text());
    assertTrue(s.get("failSafeShare").asDouble() > 0.5, r.text());
  }

  @Test
  void shouldRefuseRateShareWithoutTheBareModel() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CommandLine cl =
        new CommandLine(new LoadgenCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    int rc =
        cl.execute(
            "--config=../configs/demo-line.yaml",
            "--backend=builtin",
            "--rate-share=0.5",
            "--model-seconds=0");
    assertTrue(rc != 0, bytes.toString(StandardCharsets.UTF_8));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("--rate-share needs the bare model"),
        err.toString(StandardCharsets.UTF_8));
  }
}
