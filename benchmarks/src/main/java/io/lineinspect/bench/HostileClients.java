package io.lineinspect.bench;

import io.lineinspect.camera.protocol.FrameFlyweight;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Hostile clients against a running service's camera port, beside one real camera: the figures of
 * {@code docs/security.md}. Not a JMH benchmark: a measurement run from the command line.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.lineinspect.bench.HostileClients \
 *     PORT PID ATTACK COUNT ADDRESSES [SECONDS] [FPS]
 * </pre>
 *
 * ATTACK: {@code none}, {@code idle} (connect, send nothing), {@code partial} (HELLO, then 1.5 MiB
 * of a 2 MiB FRAME, held), {@code flood} (HELLO, then frames as fast as the socket takes them),
 * {@code bigflood} (HELLO, then raw frames of the largest size the line takes, {@code -Dbig.bytes},
 * default 2 MiB as in {@code configs/demo-line.yaml}, as fast as the socket takes them), {@code
 * slow} (HELLO, then one byte a second). COUNT connections spread over ADDRESSES loopback source
 * addresses 127.0.1.x; the real camera connects from 127.0.0.2 one second after the attack started
 * and streams 64×64 MONO8 frames at FPS (default 20) for SECONDS (default 10). Prints the service's
 * RSS (from /proc/PID/status) before and at its peak, and the real camera's verdicts.
 *
 * <p>Threads: one per attacking connection (blocking sockets), a reader and a sender for the
 * camera, a sampler.
 */
public final class HostileClients {
  private HostileClients() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    long pid = Long.parseLong(args[1]);
    String attack = args[2];
    int count = Integer.parseInt(args[3]);
    int addresses = Integer.parseInt(args[4]);
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 10;
    int fps = args.length > 6 ? Integer.parseInt(args[6]) : 20;
    long rssBefore = rssKiB(pid);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closedByService = new AtomicInteger();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < count && !"none".equals(attack); i++) {
      String from = "127.0.1." + (1 + i % Math.max(1, addresses));
      int n = i;
      Thread t =
          new Thread(
              () -> attackOne(port, from, attack, n, running, opened, closedByService, sockets));
      t.setDaemon(true);
      t.start();
    }
    long[] peak = {rssBefore};
    Thread sampler =
        new Thread(
            () -> {
              while (running.get()) {
                peak[0] = Math.max(peak[0], rssKiB(pid));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
              }
            });
    sampler.setDaemon(true);
    sampler.start();
    Thread.sleep(1_000);
    String camera = realCamera(port, fps, seconds);
    running.set(false);
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "attack %s x%d from %d address(es): %d connection(s) opened, %d closed by the service;"
            + " service RSS %d MiB before, %d MiB peak; real camera: %s%n",
        attack,
        count,
        addresses,
        opened.get(),
        closedByService.get(),
        rssBefore >> 10,
        peak[0] >> 10,
        camera);
  }

  private static void attackOne(
      int port,
      String from,
      String attack,
      int n,
      AtomicBoolean running,
      AtomicInteger opened,
      AtomicInteger closedByService,
      List<Socket> sockets) {
    try {
      Socket s = new Socket();
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      synchronized (sockets) {
        sockets.add(s);
      }
      opened.incrementAndGet();
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      Thread reader =
          new Thread(
              () -> {
                byte[] sink = new byte[64 << 10];
                try {
                  while (in.read(sink) >= 0) {
                    // drain verdicts and errors
                  }
                } catch (IOException e) {
                  // reset
                }
                if (running.get()) {
                  closedByService.incrementAndGet();
                }
              });
      reader.setDaemon(true);
      reader.start();
      if ("idle".equals(attack)) {
        return;
      }
      out.write(bytes(b -> Messages.writeHello(b, "atk-" + n, new byte[0])));
      if ("partial".equals(attack)) {
        int payload = (2 << 20) - FrameFlyweight.FIXED_BYTES;
        byte[] all =
            bytes(
                b ->
                    FrameFlyweight.writeMessage(
                        b, 1, 0, false, 0, payload, 1, 1, new byte[payload], 0, payload));
        for (int off = 0; off < 3 << 19; off += 16 << 10) {
          out.write(all, off, 16 << 10);
        }
      } else if ("flood".equals(attack)) {
        byte[] frame = frame(1, 64);
        byte[] burst = new byte[frame.length * 64];
        for (int i = 0; i < 64; i++) {
          System.arraycopy(frame, 0, burst, i * frame.length, frame.length);
        }
        while (running.get()) {
          out.write(burst);
        }
      } else if ("bigflood".equals(attack)) {
        // The largest raw frame the line takes (-Dbig.bytes, default 2 MiB: demo-line.yaml's
        // ingest.maxMessageBytes), back to back.
        int limit = Integer.getInteger("big.bytes", 2 << 20);
        int w = 2048;
        int h = (limit - FrameFlyweight.FIXED_BYTES) / w;
        byte[] p = new byte[w * h];
        java.util.Arrays.fill(p, (byte) 90);
        byte[] big =
            bytes(b -> FrameFlyweight.writeMessage(b, 1, 0, false, 0, w, h, 1, p, 0, p.length));
        while (running.get()) {
          out.write(big);
        }
      } else if ("slow".equals(attack)) {
        byte[] frame = frame(1, 64);
        for (int i = 0; i < frame.length && running.get(); i++) {
          out.write(frame[i]);
          out.flush();
          Thread.sleep(1_000);
        }
      }
    } catch (IOException e) {
      // refused or dropped by the service: counted by the reader
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The real camera: HELLO, then paced frames; returns its verdict figures as text. */
  private static String realCamera(int port, int fps, int seconds) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress("127.0.0.2", 0));
      long t0 = System.nanoTime();
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write(bytes(b -> Messages.writeHello(b, "real-camera", new byte[0])));
      readMessage(in); // HELLO_ACK
      long helloUs = (System.nanoTime() - t0) / 1_000;
      int n = fps * seconds;
      long[] sentNs = new long[n + 1];
      long[] latencyUs = new long[n + 1];
      int[] got = new int[2];
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (got[0] < n) {
                    byte[] m = readMessage(in);
                    if (m[ProtocolV1.TYPE_OFFSET] != ProtocolV1.TYPE_VERDICT) {
                      continue;
                    }
                    ByteBuf body = Unpooled.wrappedBuffer(m, ProtocolV1.HEADER_BYTES, m.length - 8);
                    int seq = (int) body.getLong(VerdictFlyweight.SEQUENCE_OFFSET);
                    latencyUs[seq] = (System.nanoTime() - sentNs[seq]) / 1_000;
                    if ((body.getByte(VerdictFlyweight.FLAGS_OFFSET)
                            & VerdictFlyweight.FLAG_FAIL_SAFE)
                        != 0) {
                      got[1]++;
                    }
                    got[0]++;
                  }
                } catch (IOException e) {
                  // lost: counted below
                }
              });
      reader.start();
      long period = 1_000_000_000L / fps;
      long start = System.nanoTime();
      for (int i = 1; i <= n; i++) {
        long due = start + i * period;
        while (System.nanoTime() - due < 0) {
          LockSupport.parkNanos(due - System.nanoTime());
        }
        sentNs[i] = System.nanoTime();
        out.write(frame(i, 64));
      }
      reader.join(10_000);
      long[] lat = Arrays.copyOfRange(latencyUs, 1, n + 1);
      Arrays.sort(lat);
      return String.format(
          Locale.ROOT,
          "HELLO_ACK after %.1f ms, %d frames, %d verdicts (%d lost), fail-safe %.1f %%,"
              + " p50 %.1f ms, p99 %.1f ms (camera side, send to verdict)",
          helloUs / 1000.0,
          n,
          got[0],
          n - got[0],
          100.0 * got[1] / n,
          lat[n / 2] / 1000.0,
          lat[Math.max(0, (int) Math.ceil(n * 0.99) - 1)] / 1000.0);
    }
  }

  private static byte[] frame(long seq, int side) {
    byte[] p = new byte[side * side];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) (40 + (i * 37) % 160);
    }
    return bytes(
        b -> FrameFlyweight.writeMessage(b, seq, 0, false, 0, side, side, 1, p, 0, p.length));
  }

  private static byte[] readMessage(DataInputStream in) throws IOException {
    byte[] header = new byte[ProtocolV1.HEADER_BYTES];
    in.readFully(header);
    int length = Unpooled.wrappedBuffer(header).getInt(ProtocolV1.BODY_LENGTH_OFFSET);
    byte[] m = Arrays.copyOf(header, ProtocolV1.HEADER_BYTES + length);
    in.readFully(m, ProtocolV1.HEADER_BYTES, length);
    return m;
  }

  private static byte[] bytes(java.util.function.Consumer<ByteBuf> writer) {
    ByteBuf b = Unpooled.buffer();
    writer.accept(b);
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    return out;
  }

  private static long rssKiB(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("\\D", ""));
        }
      }
    } catch (IOException e) {
      // gone
    }
    return 0;
  }
}
