package io.lineinspect.camera.actuator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.config.RejectTimingConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.testing.TestVerdict;
import io.lineinspect.core.time.NanoClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The TCP signal line against a plain gateway socket on loopback. */
class TcpLineOutputTest {
  /** A gateway that accepts one connection at a time and keeps every line it reads. */
  static final class Gateway implements AutoCloseable {
    final ServerSocket server;
    final List<String> lines = new CopyOnWriteArrayList<>();
    volatile Socket current;
    final Thread thread;

    Gateway(int port) throws IOException {
      server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      thread =
          new Thread(
              () -> {
                try {
                  while (!server.isClosed()) {
                    Socket s = server.accept();
                    current = s;
                    BufferedReader in =
                        new BufferedReader(
                            new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                    try {
                      String line;
                      while ((line = in.readLine()) != null) {
                        lines.add(line);
                      }
                    } catch (IOException e) {
                      // connection dropped by the test
                    }
                  }
                } catch (IOException e) {
                  // server closed
                }
              },
              "gateway");
      thread.setDaemon(true);
      thread.start();
    }

    void dropConnection() throws IOException {
      Socket s = current;
      if (s != null) {
        s.close();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      dropConnection();
    }
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!done.getAsBoolean() && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
  }

  @Test
  void verdictAndFireLinesThenReconnectAfterTheGatewayDropsUs() throws Exception {
    int port = PyModbusServer.freePort();
    try (Gateway gateway = new Gateway(port)) {
      ActuatorMetrics metrics = new ActuatorMetrics();
      TcpLineOutput output =
          new TcpLineOutput(new TcpLineOutputConfig("gw", "127.0.0.1", port, true, 500, 50, 200));
      try (RejectScheduler s =
          new RejectScheduler(
              new RejectTimingConfig(20.0, 0.0, "receipt", 20.0, 20.0, null, null, 64),
              List.of(output),
              metrics,
              NanoClock.SYSTEM,
              RejectScheduler::systemEpochMicros)) {
        await(output::connected);
        TestVerdict v = new TestVerdict();
        s.onVerdict(v.part("cam-1", 1, Verdict.PASS, 0, System.nanoTime()));
        // The first line pays the cold start of the write path (class loading, ~90 ms on a
        // loaded 2-core box): let it pass before timing a reject.
        await(() -> gateway.lines.size() >= 1);
        s.onVerdict(v.part("cam-1", 2, Verdict.FAIL, 0, System.nanoTime()));
        await(() -> gateway.lines.size() >= 3);
        assertEquals(3, gateway.lines.size(), gateway.lines + " " + metrics.snapshot());
        assertTrue(
            gateway
                .lines
                .get(0)
                .matches(
                    "VERDICT camera=cam-1 seq=1 verdict=PASS reason=NONE score=0\\.1000 fireAtUs=0"
                        + " model=-"),
            gateway.lines.get(0));
        assertTrue(
            gateway
                .lines
                .get(1)
                .matches(
                    "VERDICT camera=cam-1 seq=2 verdict=FAIL reason=NONE score=0\\.9000"
                        + " fireAtUs=\\d{16} model=-"),
            gateway.lines.get(1));
        assertTrue(
            gateway.lines.get(2).matches("FIRE camera=cam-1 seq=2 reason=NONE fireAtUs=\\d{16}"),
            gateway.lines.get(2));
        assertEquals(
            gateway.lines.get(1).replaceAll(".*fireAtUs=(\\d+).*", "$1"),
            gateway.lines.get(2).replaceAll(".*fireAtUs=(\\d+).*", "$1"));

        // The gateway drops the connection: rejects due meanwhile are missed, then lines resume.
        gateway.dropConnection();
        await(() -> !output.connected());
        s.onVerdict(v.part("cam-1", 3, Verdict.FAIL, 0, System.nanoTime()));
        await(
            () ->
                metrics.missed(MissCause.NOT_CONNECTED) + metrics.missed(MissCause.WRITE_FAILED)
                        == 1
                    || output.connected());
        await(output::connected);
        s.onVerdict(v.part("cam-1", 4, Verdict.FAIL, 0, System.nanoTime()));
        await(() -> gateway.lines.stream().anyMatch(l -> l.startsWith("FIRE camera=cam-1 seq=4 ")));
        assertTrue(
            gateway.lines.stream().anyMatch(l -> l.startsWith("FIRE camera=cam-1 seq=4 ")),
            "lines resume after the reconnect: " + gateway.lines);
        // Parts 2, 3 and 4 were FAIL: each is either delivered or counted missed, never lost.
        await(() -> metrics.snapshot().outputs().get("gw").delivered() + metrics.missed() == 3);
        assertEquals(3, metrics.snapshot().outputs().get("gw").delivered() + metrics.missed());
        assertEquals(0, metrics.missed(MissCause.LATE), "no verdict came late in this test");
      }
    }
  }
}
