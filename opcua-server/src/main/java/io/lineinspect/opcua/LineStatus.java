package io.lineinspect.opcua;

import java.util.List;
import java.util.Set;

/**
 * What the OPC UA server reads from the running service besides the results: snapshots, taken on
 * the {@code opcua-feed} thread every {@code opcua.updateIntervalMs}. Implementations must be
 * thread-safe, quick and never block the line (the service passes reads of volatile fields and
 * concurrent maps).
 */
public interface LineStatus {
  /** The VisionStateMachine's top-level states (OPC 40100-1). */
  enum State {
    /** Starting: the start-up gate and the warm-up run, cameras are not accepted yet. */
    PREOPERATIONAL("Preoperational"),
    /** Judging parts: AutomaticModeStateMachine is in ContinuousExecution. */
    OPERATIONAL("Operational"),
    /** A stage or condition is unhealthy (what {@code /health} reports as not OK). */
    ERROR("Error"),
    /** Stopping or stopped. */
    HALTED("Halted");

    private final String browseName;

    State(String browseName) {
      this.browseName = browseName;
    }

    /** The state's name in OPC 40100-1. */
    public String browseName() {
      return browseName;
    }
  }

  /** The state now. */
  State state();

  /** The camera ids connected now (HELLO done). */
  Set<String> connectedCameras();

  /** The model judging now as {@code name@version}, "" when none. */
  String servedModel();

  /** Active alarms and unhealthy conditions, as texts; empty when all is well. */
  List<String> alarms();

  /** True when the results do not come from a trained model (the builtin demo backend). */
  boolean simulated();
}
