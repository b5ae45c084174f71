package io.lineinspect.camera.actuator;

import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.config.ActuatorOutputConfig;
import java.util.ArrayList;
import java.util.List;

/** Builds the configured outputs. */
public final class ActuatorOutputs {
  private ActuatorOutputs() {}

  public static List<ActuatorOutput> create(List<ActuatorOutputConfig> configs) {
    List<ActuatorOutput> outputs = new ArrayList<>(configs.size());
    for (ActuatorOutputConfig c : configs) {
      if (c instanceof ModbusOutputConfig m) {
        outputs.add(new ModbusOutput(m));
      } else if (c instanceof TcpLineOutputConfig t) {
        outputs.add(new TcpLineOutput(t));
      } else if (c instanceof LogOutputConfig l) {
        outputs.add(new LogOutput(l));
      } else {
        throw new IllegalArgumentException("no actuator output for " + c.getClass());
      }
    }
    return outputs;
  }
}
