package io.lineinspect.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code inspect models ...} without a running service: what an engineer sees on the console. */
class ModelsCommandTest {
  @TempDir Path tmp;

  private void copyDemo(String version) throws IOException {
    Path src = Path.of("..", "models", "demo-defects", "1");
    Path dir = tmp.resolve("models/demo-defects").resolve(version);
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        Path to = dir.resolve(src.relativize(p).toString());
        Files.createDirectories(to.getParent());
        Files.copy(p, to);
      }
    }
    Path m = dir.resolve("manifest.yaml");
    Files.writeString(
        m, Files.readString(m).replace("version: \"1\"", "version: \"" + version + "\""));
  }

  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int exit = new CommandLine(new ModelsCommand()).execute(args);
      return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void listChecksEveryVersionAndNamesTheBrokenOneWithoutAService() throws Exception {
    copyDemo("1");
    copyDemo("2");
    copyDemo("10");
    Files.write(
        tmp.resolve("models/demo-defects/2/model.pt"), new byte[] {0}, StandardOpenOption.APPEND);
    Path yaml = tmp.resolve("line.yaml");
    Files.writeString(
        yaml,
        "line: {name: t, budgetMs: 50}\ninference: {backend: djl}\n"
            + "admin: {token: cli-test-token-0123456789}\n"
            + "models: {registry: "
            + tmp.resolve("models")
            + ", state: "
            + tmp.resolve("state.json")
            + "}\n");
    Run r = run("list", "--config", yaml.toString(), "--url", "http://127.0.0.1:1");
    assertEquals(1, r.exit(), r.out()); // a broken version is an error for scripts
    String[] lines = r.out().split("\n");
    assertTrue(lines[2].startsWith("demo-defects@1 "), r.out());
    assertTrue(lines[3].startsWith("demo-defects@2 ") && lines[3].contains("SHA-256 is"), r.out());
    assertTrue(lines[4].startsWith("demo-defects@10 "), "numeric version order: " + r.out());
    assertTrue(r.out().contains("no running service"), r.out());
    assertTrue(r.out().contains("the service starts with inference.djl.manifest"), r.out());

    Run status = run("status", "--config", yaml.toString(), "--url", "http://127.0.0.1:1");
    assertEquals(1, status.exit());
  }

  @Test
  void qualityPrintsGoldenSetStatisticsAndPasteableLimitsThatMatchTheShippedManifest()
      throws Exception {
    copyDemo("1");
    Path yaml = tmp.resolve("line.yaml");
    Files.writeString(
        yaml,
        "line: {name: t, budgetMs: 50}\ninference: {backend: djl}\nmodels: {registry: "
            + tmp.resolve("models")
            + "}\n");
    Run r = run("quality", "demo-defects", "1", "--config", yaml.toString());
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("# 120 images"), r.out());
    assertTrue(r.out().contains("# refused by the manifest's current limits: 0 of 120"), r.out());
    String suggested = r.out().substring(r.out().indexOf("\nquality:\n") + 1);
    String manifest =
        Files.readString(Path.of("..", "models", "demo-defects", "1", "manifest.yaml"));
    assertTrue(
        manifest.contains(suggested),
        "the shipped manifest carries what the command suggests:\n" + suggested);

    Run builtin = run("quality", "--builtin", "--count", "200");
    assertEquals(0, builtin.exit(), builtin.out());
    assertTrue(builtin.out().contains("# refused by the default limits: 0 of 200"), builtin.out());
    assertTrue(builtin.out().contains("  minSharpness: "), builtin.out());
  }
}
