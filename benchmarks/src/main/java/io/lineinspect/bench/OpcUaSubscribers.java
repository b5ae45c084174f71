package io.lineinspect.bench;

import io.lineinspect.opcua.UaTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;

/**
 * N OPC UA clients (Milo, Basic256Sha256 SignAndEncrypt) subscribed at a publishing interval to
 * every ResultReadyEvent of a running service, each also reading the line's variables once per
 * interval: the load of {@code benchmarks/opcua-subscribers.sh}. Each client puts its certificate
 * into the service's trust list ({@code <opcua.dir>/pki/trusted/certs}) and retries until admitted.
 *
 * <p>Usage: {@code OpcUaSubscribers ENDPOINT OPCUA_DIR PASSWORD_FILE CLIENTS INTERVAL_MS SECONDS}.
 * Prints one line: events received per client.
 */
public final class OpcUaSubscribers {
  private OpcUaSubscribers() {}

  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    Path dir = Path.of(args[1]);
    String password = Files.readString(Path.of(args[2])).strip();
    int n = Integer.parseInt(args[3]);
    double intervalMs = Double.parseDouble(args[4]);
    long seconds = Long.parseLong(args[5]);
    List<UaTestClient> clients = new ArrayList<>();
    List<List<UaTestClient.Event>> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      UaTestClient.Identity me = UaTestClient.Identity.generate("bench-" + i);
      me.trustAt(dir);
      UaTestClient c = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (c == null) {
        try {
          c =
              UaTestClient.connect(
                  endpoint,
                  dir.resolve("server.der"),
                  me,
                  "engineer",
                  password,
                  SecurityPolicy.Basic256Sha256);
        } catch (UaException e) {
          if (System.nanoTime() - deadline > 0) {
            throw e;
          }
          Thread.sleep(200);
        }
      }
      List<UaTestClient.Event> list = UaTestClient.events();
      c.subscribeResults(intervalMs, list);
      clients.add(c);
      events.add(list);
    }
    System.out.println("subscribed: " + n + " client(s) at " + intervalMs + " ms");
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long reads = 0;
    while (System.nanoTime() - end < 0) {
      for (UaTestClient c : clients) {
        c.value("VisionSystem/Line/Yield");
        c.value("VisionSystem/Line/LatencyP99Ms");
        c.value("VisionSystem/VisionStateMachine/CurrentState");
        reads += 3;
      }
      Thread.sleep((long) intervalMs);
    }
    StringBuilder b = new StringBuilder("events per client:");
    for (List<UaTestClient.Event> e : events) {
      b.append(' ').append(e.size());
    }
    System.out.println(b + "; reads: " + reads);
    for (UaTestClient c : clients) {
      c.close();
    }
    System.exit(0);
  }
}
