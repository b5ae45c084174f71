package io.lineinspect.camera.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.core.config.IngestTlsConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.testing.ScriptedBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What TLS costs on the camera port: latency (send to verdict, open loop) and CPU at about 80 % of
 * the backend's capacity, and the time from connect to HELLO_ACK, for plain TCP, TLS and mutual
 * TLS, interleaved. Prints figures; asserts only that every frame got its verdict (no timing
 * assertions: the box is shared). Not part of the normal run:
 *
 * <pre>
 * flock /tmp/build.lock ./mvnw -B -o -pl camera-adapters -am test -Dtest=TlsCostMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dmeasure.tls=true
 * </pre>
 *
 * <p>The backend sleeps like a GPU (10 ms + 1 ms per frame, batches up to 16: about 600 frames/s);
 * 4 cameras send 256×256 MONO8 frames (64 KiB) at 120 frames/s each (480/s, ≈ 80 %). Cameras and
 * service share this JVM: process CPU includes the cameras' encryption; {@code ingest-io-0} is the
 * service's only I/O thread (decrypt, decode, copy into the ring, encrypt and write verdicts).
 */
@EnabledIfSystemProperty(named = "measure.tls", matches = "true")
class TlsCostMeasurement {
  private static final int BUDGET_MS = 50;
  private static final int CAMERAS = 4;
  private static final int FPS = 120;
  private static final int SIDE = 256;
  private static final int WARM_S = 2;
  private static final int MEASURE_S = 8;
  private static final int REPS = 3;
  private static final int HANDSHAKES = 200;

  private enum Mode {
    PLAIN,
    TLS,
    MTLS
  }

  private record Run(
      Mode mode, double p50Ms, double p99Ms, double ioCpuPct, double processCpuPct, long frames) {}

  private record Handshake(Mode mode, double p50Ms, double p99Ms) {}

  @Test
  void measureTlsCost() throws Exception {
    List<Run> runs = new ArrayList<>();
    List<Handshake> handshakes = new ArrayList<>();
    for (int rep = 0; rep < REPS; rep++) {
      for (Mode m : Mode.values()) {
        runs.add(load(m));
        handshakes.add(handshakes(m));
      }
    }
    System.out.println("\n=== TLS cost (" + REPS + " interleaved repetitions, medians) ===");
    System.out.printf(
        Locale.ROOT,
        "load: %d cameras x %d frames/s, %dx%d MONO8, %d s measured after %d s warm-up%n",
        CAMERAS,
        FPS,
        SIDE,
        SIDE,
        MEASURE_S,
        WARM_S);
    System.out.println(
        "mode  | p50 ms | p99 ms | ingest-io-0 CPU % | process CPU % | connect->HELLO_ACK p50 / p99"
            + " ms");
    for (Mode m : Mode.values()) {
      System.out.printf(
          Locale.ROOT,
          "%-5s | %6.2f | %6.2f | %17.1f | %13.1f | %.2f / %.2f%n",
          m,
          median(runs, m, Run::p50Ms),
          median(runs, m, Run::p99Ms),
          median(runs, m, Run::ioCpuPct),
          median(runs, m, Run::processCpuPct),
          handshakes.stream()
              .filter(h -> h.mode() == m)
              .mapToDouble(Handshake::p50Ms)
              .sorted()
              .toArray()[REPS / 2],
          handshakes.stream()
              .filter(h -> h.mode() == m)
              .mapToDouble(Handshake::p99Ms)
              .sorted()
              .toArray()[REPS / 2]);
    }
    System.out.println("each run:");
    runs.forEach(r -> System.out.println("  " + r));
    handshakes.forEach(h -> System.out.println("  " + h));
  }

  private static double median(List<Run> runs, Mode m, java.util.function.ToDoubleFunction<Run> f) {
    double[] v = runs.stream().filter(r -> r.mode() == m).mapToDouble(f).sorted().toArray();
    return v[v.length / 2];
  }

  private static IngestTlsConfig tls(Mode m) {
    return m == Mode.PLAIN ? IngestTlsConfig.disabled() : TestTls.server(m == Mode.MTLS);
  }

  private static TestCamera camera(Mode m, int port, String id) throws Exception {
    return switch (m) {
      case PLAIN -> TestCamera.connected(port, id);
      case TLS -> TestCamera.connectedOverTls(port, TestTls.camera(null), id);
      case MTLS -> TestCamera.connectedOverTls(port, TestTls.camera("client"), id);
    };
  }

  private static LoopbackServer server(Mode m) throws Exception {
    ScriptedBackend backend =
        new ScriptedBackend(16)
            .sleeping(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.MILLISECONDS.toNanos(1))
            .warmable(true);
    return LoopbackServer.of(new PipelineConfig(1024, 1, 16, 1.0, 1 << 16, 5.0), BUDGET_MS, backend)
        .ingest(LoopbackServer.ingest(1 << 20).withTls(tls(m)))
        .start();
  }

  private static Run load(Mode m) throws Exception {
    try (LoopbackServer line = server(m)) {
      int total = (WARM_S + MEASURE_S) * FPS;
      long[][] latencyNs = new long[CAMERAS][total];
      List<Thread> threads = new ArrayList<>();
      List<TestCamera> cams = new ArrayList<>();
      AtomicInteger failures = new AtomicInteger();
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      long periodNs = 1_000_000_000L / FPS;
      byte[] payload = new byte[SIDE * SIDE];
      for (int i = 1; i < payload.length; i++) {
        payload[i] = (byte) (40 + (i * 37) % 160);
      }
      for (int c = 0; c < CAMERAS; c++) {
        TestCamera cam = camera(m, line.port(), "cam-" + c);
        cam.soTimeout(10_000);
        cams.add(cam);
        long offset = c * periodNs / CAMERAS;
        long[] lat = latencyNs[c];
        threads.add(
            new Thread(
                () -> {
                  ByteBuf b = Unpooled.buffer(payload.length + 64);
                  try {
                    for (int s = 0; s < total; s++) {
                      long due = start + offset + s * periodNs;
                      while (System.nanoTime() - due < 0) {
                        long left = due - System.nanoTime();
                        if (left > 200_000) {
                          Thread.sleep(0, 100_000);
                        }
                      }
                      b.clear();
                      FrameFlyweight.writeMessage(
                          b, s, 0, false, 0, SIDE, SIDE, 1, payload, 0, payload.length);
                      cam.send(b);
                    }
                  } catch (Exception e) {
                    failures.incrementAndGet();
                  }
                },
                "send-" + c));
        threads.add(
            new Thread(
                () -> {
                  try {
                    for (int s = 0; s < total; s++) {
                      TestCamera.Message v = cam.read();
                      long now = System.nanoTime();
                      if (v.type() != ProtocolV1.TYPE_VERDICT || v.verdict().sequence() != s) {
                        failures.incrementAndGet();
                        return;
                      }
                      // Open loop: from when the frame was due, so a late send counts too.
                      lat[s] = now - (start + offset + s * periodNs);
                    }
                  } catch (Exception e) {
                    failures.incrementAndGet();
                  }
                },
                "read-" + c));
      }
      ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      threads.forEach(Thread::start);
      long measureFrom = start + TimeUnit.SECONDS.toNanos(WARM_S);
      while (System.nanoTime() - measureFrom < 0) {
        Thread.sleep(1);
      }
      long io0 = ioCpuNs(tmx);
      long p0 = os.getProcessCpuTime();
      long w0 = System.nanoTime();
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(WARM_S + MEASURE_S + 20));
      }
      long wall = System.nanoTime() - w0;
      long io = ioCpuNs(tmx) - io0;
      long proc = os.getProcessCpuTime() - p0;
      cams.forEach(
          c -> {
            try {
              c.close();
            } catch (Exception e) {
              // closing a measurement client
            }
          });
      assertEquals(0, failures.get(), m + ": every frame got its verdict, in order");
      int from = WARM_S * FPS;
      long[] all = new long[CAMERAS * (total - from)];
      for (int c = 0; c < CAMERAS; c++) {
        System.arraycopy(latencyNs[c], from, all, c * (total - from), total - from);
      }
      Arrays.sort(all);
      return new Run(
          m,
          all[all.length / 2] / 1e6,
          all[(int) (all.length * 0.99)] / 1e6,
          100.0 * io / wall,
          100.0 * proc / wall,
          all.length);
    }
  }

  private static long ioCpuNs(ThreadMXBean tmx) {
    long sum = 0;
    for (ThreadInfo t : tmx.getThreadInfo(tmx.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith("ingest-io-")) {
        sum += Math.max(0, tmx.getThreadCpuTime(t.getThreadId()));
      }
    }
    return sum;
  }

  /** Connect, (TLS handshake,) HELLO, HELLO_ACK, one after another: {@value #HANDSHAKES} times. */
  private static Handshake handshakes(Mode m) throws Exception {
    try (LoopbackServer line = server(m)) {
      long[] ns = new long[HANDSHAKES];
      for (int i = -20; i < HANDSHAKES; i++) {
        // A fresh client context each time: a full handshake, no session resumption (a camera
        // that powers up has no session to resume).
        SSLContext ctx = m == Mode.MTLS ? TestTls.camera("client") : TestTls.camera(null);
        long t0 = System.nanoTime();
        TestCamera cam =
            m == Mode.PLAIN
                ? TestCamera.connected(line.port(), "hs")
                : TestCamera.connectedOverTls(line.port(), ctx, "hs");
        long t = System.nanoTime() - t0;
        cam.close();
        if (i >= 0) {
          ns[i] = t; // the first 20 warm the client and the server up
        }
        while (line.server().connectedCameras() > 0) {
          Thread.sleep(0, 200_000);
        }
      }
      Arrays.sort(ns);
      return new Handshake(m, ns[HANDSHAKES / 2] / 1e6, ns[(int) (HANDSHAKES * 0.99)] / 1e6);
    }
  }
}
