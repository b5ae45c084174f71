package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ServiceConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The admin endpoint of the real service routes only the documented requests, whole paths only
 * (regression: the JDK server matched its contexts by prefix, so {@code GET /healthz}, {@code GET
 * /metrics/../models/status} and {@code POST /metrics} were served by the health and metrics
 * handlers). Raw HTTP over a socket, so no client normalises a path on the way.
 */
class AdminRoutingTest {
  private static int status(int port, String method, String rawPath) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(
          (method
                  + " "
                  + rawPath
                  + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection:"
                  + " close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
      return Integer.parseInt(head.substring(9, 12));
    }
  }

  @Test
  void shouldServeTheDocumentedPathsOnlyAndWholePathsOnly() throws Exception {
    ServiceConfig cfg =
        DemoConfigs.onLoopback("builtin").withAdmin(new AdminConfig(true, "127.0.0.1", 0));
    try (InspectionService service = new InspectionService(cfg, Path.of(".."))) {
      service.start();
      int admin = service.adminPort();
      assertEquals(200, status(admin, "GET", "/health"));
      assertEquals(200, status(admin, "GET", "/metrics"));
      assertEquals(200, status(admin, "GET", "/metrics?name=x"));
      assertEquals(200, status(admin, "GET", "/ready"));
      assertEquals(404, status(admin, "GET", "/healthz"));
      assertEquals(404, status(admin, "GET", "/metrics/../health"));
      assertEquals(404, status(admin, "GET", "/health/../metrics"));
      assertEquals(404, status(admin, "GET", "/metrics/..%2fmodels/status"));
      assertEquals(404, status(admin, "GET", "/readyx"));
      assertEquals(404, status(admin, "GET", "/"));
      assertEquals(405, status(admin, "POST", "/metrics"));
      assertEquals(405, status(admin, "DELETE", "/health"));
      // Under /models the token comes first, whatever the path.
      assertEquals(401, status(admin, "GET", "/models/%2e%2e/metrics"));
      assertEquals(401, status(admin, "POST", "/models/activate"));
    }
  }
}
