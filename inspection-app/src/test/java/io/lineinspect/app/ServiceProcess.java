package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code inspect serve} in a child JVM, for tests that must not share a JVM (heap, GC pauses, a
 * kill) with the cameras or load generator driving it. Its output is read and dropped, or appended
 * to the file named by the environment variable {@code SERVICE_PROCESS_LOG}; {@code
 * SERVICE_PROCESS_JVM_OPTS} adds JVM options (both for debugging).
 */
public final class ServiceProcess {
  private ServiceProcess() {}

  /** A TCP port free right now on loopback. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts the service and returns once it printed {@code ready:} (fails the test after 60 s). */
  public static Process start(Path config) throws Exception {
    Process p = new ProcessBuilder(command(config)).redirectErrorStream(true).start();
    return awaitReady(p);
  }

  /** What a service that is expected to stop by itself printed, after its exit status. */
  record Exit(int status, String output) {}

  /** Runs the service until it exits by itself (fails the test after {@code timeoutS}). */
  static Exit run(Path config, long timeoutS) throws Exception {
    Process p = new ProcessBuilder(command(config)).redirectErrorStream(true).start();
    java.util.concurrent.CompletableFuture<String> out =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return String.valueOf(e);
              }
            });
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("service did not exit within " + timeoutS + " s:\n" + out.get(5, TimeUnit.SECONDS));
    }
    return new Exit(p.exitValue(), out.get(5, TimeUnit.SECONDS));
  }

  private static List<String> command(Path config) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    String extra = System.getenv("SERVICE_PROCESS_JVM_OPTS"); // e.g. -Xlog:safepoint, to debug
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "-Dinspect.home=" + Path.of("..").toAbsolutePath().normalize(),
            "io.lineinspect.app.InspectCommand",
            "serve",
            "--config",
            config.toString(),
            "--status-every",
            "0"));
    return cmd;
  }

  private static Process awaitReady(Process p) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String line;
    StringBuilder seen = new StringBuilder();
    while (System.nanoTime() < until && (line = out.readLine()) != null) {
      seen.append(line).append('\n');
      if (line.startsWith("ready:")) {
        Thread drain =
            new Thread(
                () -> {
                  try {
                    String l;
                    while ((l = out.readLine()) != null) {
                      if (System.getenv("SERVICE_PROCESS_LOG") != null) {
                        java.nio.file.Files.writeString(
                            Path.of(System.getenv("SERVICE_PROCESS_LOG")),
                            l + "\n",
                            java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.APPEND);
                      }
                    }
                  } catch (IOException e) {
                    // process gone
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return p;
      }
    }
    p.destroyForcibly();
    fail("service did not become ready:\n" + seen);
    return null;
  }
}
