package io.lineinspect.camera.actuator;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * An independent Modbus TCP server for tests: Debian's {@code python3-pymodbus} running {@code
 * src/test/python/modbus_recorder.py} on loopback, which records every coil and register write with
 * a server-side timestamp. Installed by {@code .ci/run}; where it is missing the tests are skipped
 * with a message, unless {@code INSPECT_REQUIRE_PYMODBUS=1} (set by {@code .ci/run}), which makes
 * them fail instead.
 */
final class PyModbusServer implements AutoCloseable {
  static final String PYTHON = "/usr/bin/python3";
  private static final Path SCRIPT = Path.of("src/test/python/modbus_recorder.py");

  /** One write seen by the server. */
  record Write(String kind, int address, String values, long epochUs) {
    boolean on() {
      return "1".equals(values);
    }
  }

  final int port;
  private final int size;
  private final double delayMs;
  private int plcOrders = -1;
  private int plcCameras;
  private final List<Write> writes = new CopyOnWriteArrayList<>();
  private Process process;

  PyModbusServer(int port, int size, double delayMs) {
    this.port = port;
    this.size = size;
    this.delayMs = delayMs;
  }

  /**
   * Makes the server a minimal PLC for {@code firing: plc}: it acknowledges the orders written into
   * the order areas of {@code cameras} camera slots from {@code ordersAddress} (TAKEN, or LATE when
   * an order's due time has passed on arrival) and records each as an {@code ORDER} write.
   */
  PyModbusServer acknowledgingOrders(int ordersAddress, int cameras) {
    this.plcOrders = ordersAddress;
    this.plcCameras = cameras;
    return this;
  }

  /** Skips (or, in CI, fails) the calling test when pymodbus is not installed. */
  static void requireInstalled() {
    boolean ok;
    try {
      Process p =
          new ProcessBuilder(PYTHON, "-c", "import pymodbus.server")
              .redirectErrorStream(true)
              .start();
      ok = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      ok = false;
    }
    String why =
        "Modbus server tests need Debian's python3-pymodbus under "
            + PYTHON
            + " (apt-get install python3-pymodbus; .ci/run installs it)";
    if (!ok && "1".equals(System.getenv("INSPECT_REQUIRE_PYMODBUS"))) {
      fail(why);
    }
    Assumptions.assumeTrue(ok, why);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** Starts the server and waits until it listens (at most 15 s). */
  PyModbusServer start() throws IOException, InterruptedException {
    if (!Files.exists(SCRIPT)) {
      fail("missing " + SCRIPT.toAbsolutePath());
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                PYTHON,
                SCRIPT.toString(),
                "--port",
                Integer.toString(port),
                "--size",
                Integer.toString(size),
                "--delay-ms",
                Double.toString(delayMs)));
    if (plcOrders >= 0) {
      command.addAll(
          List.of(
              "--plc-orders",
              Integer.toString(plcOrders),
              "--plc-cameras",
              Integer.toString(plcCameras)));
    }
    process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Object ready = new Object();
    boolean[] up = {false};
    Thread reader =
        new Thread(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  String[] f = line.split(" ");
                  if (f[0].equals("READY")) {
                    synchronized (ready) {
                      up[0] = true;
                      ready.notifyAll();
                    }
                  } else if (f.length == 4) {
                    writes.add(new Write(f[0], Integer.parseInt(f[1]), f[2], Long.parseLong(f[3])));
                  }
                }
              } catch (IOException e) {
                // the process was killed
              }
            },
            "pymodbus-" + port);
    reader.setDaemon(true);
    reader.start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    synchronized (ready) {
      while (!up[0] && System.nanoTime() - until < 0 && process.isAlive()) {
        ready.wait(100);
      }
    }
    if (!up[0]) {
      close();
      fail("pymodbus server did not start on port " + port);
    }
    return this;
  }

  /** Every write so far. */
  List<Write> writes() {
    return new ArrayList<>(writes);
  }

  /** Rising edges (OFF → ON writes) of one coil, as server epoch µs. */
  List<Long> risingEdges(int coil) {
    List<Long> edges = new ArrayList<>();
    boolean on = false;
    for (Write w : writes) {
      if (w.kind().equals("COIL") && w.address() == coil) {
        if (w.on() && !on) {
          edges.add(w.epochUs());
        }
        on = w.on();
      }
    }
    return edges;
  }

  /** Kills the server at once (SIGKILL), like a PLC that loses power. */
  void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
