package io.lineinspect.sim;

import com.digitalpetri.modbus.client.ModbusTcpClient;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteSingleCoilRequest;
import com.digitalpetri.modbus.tcp.client.NettyTcpClientTransport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link SimulatedRejectGate} in a process of its own, as a real PLC is a machine of its own: the
 * service's garbage-collector pauses and JIT compilations cannot delay its stroke timer. The child
 * is this JVM's {@code java} with this JVM's class path, a small fixed heap and the serial
 * collector; it warms its Modbus path up on itself before it reports its port.
 *
 * <p>Parent and child speak text lines over the child's standard input and output: the child says
 * {@code ready PORT}; the parent sends {@code orders ADDRESS SLOTS FIRST_COIL PRIORITY} (answer
 * {@code ok}), {@code record TIMEOUT_MS} (answer: a {@link GateRecord} in its text form) and {@code
 * quit}. The child also ends when its standard input closes, so it never outlives the demo.
 */
public final class RejectGateProcess implements RejectGate {
  /** The child's JVM options: a heap this small collects in well under a millisecond. */
  static final List<String> CHILD_JVM_OPTIONS =
      List.of(
          "-Xms32m",
          "-Xmx32m",
          "-XX:+UseSerialGC",
          "-Xss512k",
          "-XX:+AlwaysPreTouch",
          "-XX:TieredStopAtLevel=1",
          "-XX:CICompilerCount=1");

  /** Environment variable whose JVM options (space separated) are added to the child's. */
  public static final String EXTRA_OPTIONS_ENV = "INSPECT_SIM_PLC_JAVA_OPTS";

  /** Modbus round trips the child makes against itself before it reports ready. */
  static final int WARM_UP_ROUND_TRIPS = 1_500;

  /** Warm-up traffic goes to registers and a coil far from any order area or pusher. */
  private static final int WARM_UP_ADDRESS = 60_000;

  private static final long START_TIMEOUT_MS = 30_000;

  private final Process process;
  private final BufferedReader fromChild;
  private final PrintStream toChild;
  private final int port;

  private RejectGateProcess(Process process) throws IOException {
    this.process = process;
    this.fromChild =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    this.toChild = new PrintStream(process.getOutputStream(), true, StandardCharsets.US_ASCII);
    String ready = readLine("start");
    if (!ready.startsWith("ready ")) {
      throw new IOException("the simulated PLC process said " + ready + " instead of ready PORT");
    }
    this.port = Integer.parseInt(ready.substring("ready ".length()).trim());
  }

  /** Starts the child and waits (at most 30 s) until its Modbus server is warm and listening. */
  public static RejectGateProcess start() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(CHILD_JVM_OPTIONS);
    // Diagnosis only (e.g. -Xlog:safepoint:file=plc.log): appended, so they win.
    String extra = System.getenv(EXTRA_OPTIONS_ENV);
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RejectGateProcess.class.getName());
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    // Never outlive this JVM, even if nobody closes the gate.
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "sim-plc-reaper"));
    // A child that never says ready is ended, so start() cannot hang.
    AtomicBoolean started = new AtomicBoolean();
    CompletableFuture.delayedExecutor(START_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .execute(
            () -> {
              if (!started.get()) {
                p.destroyForcibly();
              }
            });
    try {
      RejectGateProcess gate = new RejectGateProcess(p);
      started.set(true);
      return gate;
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw new IOException("the simulated PLC process did not start: " + e.getMessage(), e);
    }
  }

  private String readLine(String during) throws IOException {
    String line = fromChild.readLine();
    if (line == null) {
      throw new IOException(
          "the simulated PLC process ended during " + during + " (see its messages above)");
    }
    return line;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public synchronized RejectGate acceptOrders(
      int ordersAddress, int cameraSlots, int firstCoil, int realtimePriority) {
    toChild.println(
        "orders " + ordersAddress + " " + cameraSlots + " " + firstCoil + " " + realtimePriority);
    try {
      String answer = readLine("orders");
      if (!answer.equals("ok")) {
        throw new IllegalStateException("the simulated PLC process refused orders: " + answer);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return this;
  }

  @Override
  public synchronized GateRecord awaitStrokes(long timeoutMs) throws InterruptedException {
    toChild.println("record " + timeoutMs);
    try {
      return GateRecord.readFrom(fromChild);
    } catch (IOException e) {
      throw new IllegalStateException("no record from the simulated PLC: " + e.getMessage(), e);
    }
  }

  @Override
  public String where() {
    return "own process, pid " + process.pid();
  }

  @Override
  public synchronized void close() {
    toChild.println("quit");
    toChild.close();
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The child: a simulated PLC driven by its parent over standard input and output. */
  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    // Library logging goes to standard error; standard output carries the protocol only.
    System.setOut(System.err);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    try (SimulatedRejectGate gate = SimulatedRejectGate.start()) {
      warmUp(gate.port());
      gate.forgetWarmUp();
      out.println("ready " + gate.port());
      out.flush();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] f = line.trim().split(" ");
        switch (f[0]) {
          case "orders" -> {
            gate.acceptOrders(
                Integer.parseInt(f[1]),
                Integer.parseInt(f[2]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4]));
            out.println("ok");
            out.flush();
          }
          case "record" -> gate.awaitStrokes(Long.parseLong(f[1])).writeTo(out);
          case "quit" -> {
            return;
          }
          default -> {
            out.println("error unknown command " + line);
            out.flush();
          }
        }
      }
    } finally {
      System.exit(0);
    }
  }

  /** Round trips against its own server, so the first real order meets compiled code. */
  private static void warmUp(int port) throws Exception {
    NettyTcpClientTransport transport =
        NettyTcpClientTransport.create(cfg -> cfg.setHostname("127.0.0.1").setPort(port));
    ModbusTcpClient c =
        ModbusTcpClient.create(transport, cfg -> cfg.setRequestTimeout(Duration.ofSeconds(2)));
    c.connect();
    try {
      byte[] block = new byte[32];
      for (int i = 0; i < WARM_UP_ROUND_TRIPS; i++) {
        block[31] = (byte) i;
        c.writeMultipleRegisters(1, new WriteMultipleRegistersRequest(WARM_UP_ADDRESS, 16, block));
        c.readHoldingRegisters(1, new ReadHoldingRegistersRequest(WARM_UP_ADDRESS, 16));
        c.writeSingleCoil(1, new WriteSingleCoilRequest(WARM_UP_ADDRESS, (i & 1) == 0));
      }
    } finally {
      c.disconnect();
    }
  }
}
