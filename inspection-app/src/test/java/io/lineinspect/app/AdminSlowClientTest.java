package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ServiceConfig;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Slow clients on the admin port cannot take {@code /health} away for long: the endpoint keeps at
 * most {@link AdminServer#MAX_CONNECTIONS} connections and drops a client that has not sent its
 * request within {@link AdminServer#MAX_REQUEST_SECONDS}.
 */
class AdminSlowClientTest {
  @Test
  void shouldAnswerHealthSoonBeside50ClientsSendingOneByteEach400Ms() throws Exception {
    ServiceConfig cfg =
        DemoConfigs.onLoopback("builtin").withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    List<Socket> slow = new ArrayList<>();
    AtomicBoolean dribbling = new AtomicBoolean(true);
    try (InspectionService service = new InspectionService(cfg, Path.of(".."))) {
      service.start();
      int port = service.adminPort();
      for (int i = 0; i < 50; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        slow.add(s);
      }
      Thread dribbler =
          new Thread(
              () -> {
                byte[] request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
                for (int i = 0; i < request.length && dribbling.get(); i++) {
                  for (Socket s : slow) {
                    try {
                      OutputStream out = s.getOutputStream();
                      out.write(request[i]);
                      out.flush();
                    } catch (java.io.IOException e) {
                      // dropped by the service, or refused at accept
                    }
                  }
                  sleepMs(400);
                }
              });
      dribbler.setDaemon(true);
      dribbler.start();
      sleepMs(300);
      long t0 = System.nanoTime();
      long until = t0 + TimeUnit.SECONDS.toNanos(15);
      int status = -1;
      while (status != 200 && System.nanoTime() - until < 0) {
        try {
          HttpURLConnection h =
              (HttpURLConnection)
                  URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
          h.setConnectTimeout(1_000);
          h.setReadTimeout(1_000);
          status = h.getResponseCode();
          h.disconnect();
        } catch (java.io.IOException e) {
          sleepMs(50); // refused at accept or not answered yet: the slow ones hold the slots
        }
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(status == 200, "/health answered " + status + " after " + ms + " ms");
      assertTrue(ms < 6_000, "/health answered after " + ms + " ms (unprotected: about 13 s)");
    } finally {
      dribbling.set(false);
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
