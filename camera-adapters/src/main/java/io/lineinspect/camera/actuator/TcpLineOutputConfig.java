package io.lineinspect.camera.actuator;

import io.lineinspect.core.config.ActuatorOutputConfig;
import io.lineinspect.core.config.Check;

/**
 * A plain TCP signal line to a gateway or IO module: the service connects to {@code host:port} and
 * writes one text line per verdict and per reject (see {@code docs/actuators.md}).
 *
 * @param name output name (default {@code tcp-line})
 * @param host gateway address (required)
 * @param port gateway port (required)
 * @param verdicts also send a VERDICT line for every verdict as it is decided (default true); FIRE
 *     lines for rejects are always sent
 * @param connectTimeoutMs connection attempt timeout (default 1000)
 * @param reconnectMinMs first reconnect delay after a failure, doubled up to {@code reconnectMaxMs}
 *     (default 200)
 * @param reconnectMaxMs longest reconnect delay (default 5000)
 */
public record TcpLineOutputConfig(
    String name,
    String host,
    Integer port,
    Boolean verdicts,
    Integer connectTimeoutMs,
    Integer reconnectMinMs,
    Integer reconnectMaxMs)
    implements ActuatorOutputConfig {
  public TcpLineOutputConfig {
    name = Check.text("name", name, "tcp-line");
    host = Check.text("host", host, null);
    port = Check.intIn("port", port, null, 1, 65_535);
    verdicts = verdicts == null || verdicts;
    connectTimeoutMs = Check.intIn("connectTimeoutMs", connectTimeoutMs, 1000, 10, 60_000);
    reconnectMinMs = Check.intIn("reconnectMinMs", reconnectMinMs, 200, 10, 60_000);
    reconnectMaxMs = Check.intIn("reconnectMaxMs", reconnectMaxMs, 5000, reconnectMinMs, 600_000);
  }
}
