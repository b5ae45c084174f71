package io.lineinspect.app;

import io.lineinspect.app.admin.OpcUaRecipes;
import io.lineinspect.app.models.ModelRegistry;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.inference.ModelInfo;
import io.lineinspect.opcua.LineStatus;
import io.lineinspect.opcua.OpcUaConfig;
import io.lineinspect.opcua.VisionServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Wires the OPC UA server ({@code opcua:}, module {@code opcua-server}) to the service: what it
 * reads of the line ({@link LineStatus}, snapshots of volatile state) and the audit chain listener
 * that feeds it, beside the plant exporter's.
 */
final class OpcUaWiring {
  private OpcUaWiring() {}

  /** The server of {@code config}, or null when {@code opcua.enabled} is false. */
  static VisionServer open(ServiceConfig config, Path home, InspectionService service) {
    OpcUaConfig c = OpcUaConfig.of(config);
    if (!c.enabled()) {
      return null;
    }
    return new VisionServer(
        c,
        home,
        config.line().name(),
        new Status(service),
        new OpcUaRecipes(
            new ModelRegistry(home.resolve(config.models().registry())),
            service::models,
            service::audit));
  }

  /** Both listeners (either may be null), or null when there is none. */
  static AuditLog.ChainListener both(AuditLog.ChainListener a, AuditLog.ChainListener b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return (prev, line, off, len) -> {
      a.onChained(prev, line, off, len);
      b.onChained(prev, line, off, len);
    };
  }

  /** The line as the OPC UA server sees it: read on the {@code opcua-feed} thread. */
  private static final class Status implements LineStatus {
    private final InspectionService service;

    Status(InspectionService service) {
      this.service = service;
    }

    @Override
    public State state() {
      if (service.closing()) {
        return State.HALTED;
      }
      if (!service.ready()) {
        return State.PREOPERATIONAL;
      }
      return service.health().healthy() ? State.OPERATIONAL : State.ERROR;
    }

    @Override
    public Set<String> connectedCameras() {
      return service.server().connectedCameraIds();
    }

    @Override
    public String servedModel() {
      ModelInfo m = service.servedModel();
      return m == null ? "" : m.id();
    }

    @Override
    public List<String> alarms() {
      List<String> out = new ArrayList<>(service.health().problems());
      for (String c : service.unfitAlarm().activeAlarms()) {
        out.add("camera " + c + ": images unfit to judge (lens cap, light, focus?)");
      }
      if (service.drift() != null && service.drift().alarm()) {
        out.add("drift: the score distribution moved (drift alarm)");
      }
      return out;
    }

    @Override
    public boolean simulated() {
      return service.config().inference().backend().equals("builtin");
    }
  }
}
