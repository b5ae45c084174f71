package io.lineinspect.app;

import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.metrics.PipelineMetrics;
import java.util.Locale;

/**
 * The text of the service's status as the commands print it: the production {@code serve} status
 * line and the figures the demo and the load generator reuse (per-stage latency, fail-safe reasons,
 * the admin URL). Reads snapshots only; any thread.
 */
public final class StatusLine {
  private StatusLine() {}

  /** ", metrics on http://…/metrics" or "" when the admin endpoint is off. */
  /** The operator dashboard's address ({@code http://host:port/dashboard}), or "" when none. */
  public static String dashboardUrl(InspectionService service) {
    if (service.adminPort() < 0 || service.dashboard() == null) {
      return "";
    }
    return (service.config().admin().tls().enabled() ? "https://" : "http://")
        + service.config().admin().host()
        + ":"
        + service.adminPort()
        + "/dashboard";
  }

  public static String adminUrl(InspectionService service) {
    return service.adminPort() < 0
        ? ""
        : ", metrics on http://"
            + service.config().admin().host()
            + ":"
            + service.adminPort()
            + "/metrics";
  }

  /**
   * The status line {@code inspect serve} prints every {@code --status-every} seconds: cameras,
   * frames, verdicts by kind, batch size, p99, fail-safe reasons, rejects, and per-stage latency on
   * a second line.
   */
  public static String of(InspectionService service) {
    PipelineMetrics.Snapshot m = service.pipeline().metrics().snapshot();
    return String.format(
            Locale.ROOT,
            "status: cameras %d, frames %d, verdicts %d (pass %d, fail %d, fail-safe %d), mean batch %.1f, service p99 %.2f ms",
            service.server().connectedCameras(),
            service.server().metrics().frames(),
            m.verdicts(),
            m.pass(),
            m.fail(),
            m.failSafe(),
            m.meanBatchSize(),
            m.latencyP99Us() / 1000.0)
        + failSafeReasons(m)
        + rejects(service.rejects())
        + System.lineSeparator()
        + "        "
        + stages(m);
  }

  /** "; fail-safe by reason: DEADLINE 3, OVERLOAD 2" or "". */
  public static String failSafeReasons(PipelineMetrics.Snapshot m) {
    StringBuilder b = new StringBuilder();
    m.byReason()
        .forEach(
            (r, n) -> {
              if (r.isFailSafe() && n > 0) {
                b.append(b.length() == 0 ? "; fail-safe by reason: " : ", ")
                    .append(r)
                    .append(' ')
                    .append(n);
              }
            });
    return b.toString();
  }

  /** Per-stage service latency, p50/p99 in milliseconds. */
  public static String stages(PipelineMetrics.Snapshot m) {
    StringBuilder b = new StringBuilder("stages p50/p99 ms:");
    m.stages()
        .forEach(
            (name, st) ->
                b.append(
                    String.format(
                        Locale.ROOT,
                        " %s %.2f/%.2f",
                        name.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                        st.p50Us() / 1000.0,
                        st.p99Us() / 1000.0)));
    return b.toString();
  }

  /** " rejects 12 (missed 0)", or "" without actuators. */
  public static String rejects(RejectScheduler rejects) {
    if (rejects == null) {
      return "";
    }
    ActuatorMetrics m = rejects.metrics();
    return String.format(Locale.ROOT, "  rejects %d (missed %d)", m.rejectsScheduled(), m.missed());
  }
}
