package io.lineinspect.app.dashboard;

import io.lineinspect.app.InspectionService;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectScheduler;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.config.ServiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles the {@link Dashboard} of a service: what its feed reads of the service at snapshot time
 * (connected cameras, reject counters, health, drift, audit and archive counters, the model
 * lifecycle's status), read on the {@code dashboard} thread only, never on the line's threads.
 */
public final class ServiceDashboard {
  private ServiceDashboard() {}

  /**
   * The dashboard of {@code service} (not started: {@link DashboardFeed#start} once the service
   * accepts cameras), or null when {@code config} switches it off.
   */
  public static Dashboard create(
      DashboardConfig config, ServiceConfig sc, Path home, InspectionService service) {
    if (!config.enabled()) {
      return null;
    }
    Path archiveDir = sc.archive().enabled() ? home.resolve(sc.archive().dir()) : null;
    Path auditDir = sc.audit().enabled() ? home.resolve(sc.audit().dir()) : null;
    DashboardFeed.Sources sources =
        new DashboardFeed.Sources() {
          @Override
          public java.util.Set<String> connectedCameras() {
            return service.server().connectedCameraIds();
          }

          @Override
          public DashboardFeed.LineReadings readings() {
            return DashboardFeed.safe(() -> read(service)).get();
          }
        };
    DashboardFeed.ArchiveLookup lookup =
        archiveDir == null
            ? null
            : p ->
                p.format != null
                    && Files.exists(
                        ImageArchive.fileOf(
                            archiveDir, p.camera, p.sequence, p.captureUs, p.format));
    DashboardFeed feed =
        new DashboardFeed(
            config,
            sc.line().name(),
            sc.line().budgetMs(),
            sources,
            lookup,
            RejectScheduler::systemEpochMicros);
    return new Dashboard(
        config, feed, new LabelStore(home.resolve(config.labelsDir())), archiveDir, auditDir);
  }

  private static DashboardFeed.LineReadings read(InspectionService s) {
    long delivered = 0;
    Map<String, Long> missed = new LinkedHashMap<>();
    long alarms = 0;
    String lastAlarm = null;
    List<String> down = new ArrayList<>();
    RejectScheduler rejects = s.rejects();
    if (rejects != null) {
      ActuatorMetrics.Snapshot m = rejects.metrics().snapshot();
      for (Map.Entry<String, ActuatorMetrics.OutputSnapshot> o : m.outputs().entrySet()) {
        delivered += o.getValue().delivered();
        if (!o.getValue().connected()) {
          down.add(o.getKey());
        }
      }
      for (MissCause c : MissCause.all()) {
        missed.put(c.name(), m.missed().getOrDefault(c, 0L));
      }
      alarms = m.alarms();
      lastAlarm = m.lastAlarm();
    }
    AuditLog audit = s.audit();
    ImageArchive archive = s.archive();
    Map<String, Object> model;
    try {
      model = s.models().status();
    } catch (RuntimeException e) {
      model = Map.of("error", String.valueOf(e));
    }
    return new DashboardFeed.LineReadings(
        delivered,
        missed,
        alarms,
        lastAlarm,
        down,
        s.health().problems(),
        s.drift() != null && s.drift().alarm(),
        audit == null ? 0 : audit.dropped() + audit.lost() + audit.adminLost(),
        audit == null ? 0 : audit.backlog(),
        archive == null ? 0 : archive.evicted(),
        archive == null ? 0 : archive.skipped(),
        model);
  }
}
