package io.lineinspect.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.dashboard.LabelStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code inspect labels export} reads the labels where the line's configuration keeps them. */
class LabelsCommandTest {
  @TempDir Path home;
  private String before;

  @BeforeEach
  void setHome() {
    before = System.getProperty("inspect.home");
    System.setProperty("inspect.home", home.toString());
  }

  @AfterEach
  void restoreHome() {
    if (before == null) {
      System.clearProperty("inspect.home");
    } else {
      System.setProperty("inspect.home", before);
    }
  }

  private static int run(String... args) {
    return new CommandLine(new LabelsCommand()).execute(args);
  }

  @Test
  void shouldReadTheConfiguredLabelsDirectory() throws Exception {
    String line = "line: {name: line-7, budgetMs: 50}\ninference: {backend: builtin}\n";
    Path plain = Files.writeString(home.resolve("plain.yaml"), line);
    Path config =
        Files.writeString(
            home.resolve("line.yaml"), line + "dashboard: {labelsDir: elsewhere/labels}\n");
    Map<String, Object> label = new LinkedHashMap<>();
    label.put("camera", "cam-1");
    label.put("seq", 42L);
    label.put("captureUs", 1_000L);
    label.put("label", "escaped-defect");
    new LabelStore(home.resolve("elsewhere/labels")).add(label, null);

    // Not in the default var/labels: an error naming the path, not an empty set.
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(
          2,
          run("export", "--config", plain.toString(), "--out", home.resolve("empty").toString()));
    } finally {
      System.setErr(err);
    }
    String m = captured.toString(StandardCharsets.UTF_8);
    assertTrue(m.contains("labels: no labels directory at " + home.resolve("var/labels")), m);
    assertFalse(Files.exists(home.resolve("empty")));

    Path out = home.resolve("out");
    assertEquals(0, run("export", "--config", config.toString(), "--out", out.toString()));
    List<String> unimaged = Files.readAllLines(out.resolve("unimaged.csv"));
    assertEquals(2, unimaged.size(), unimaged.toString());
    assertTrue(unimaged.get(1).startsWith("cam-1,42,1000,"), unimaged.get(1));
  }
}
