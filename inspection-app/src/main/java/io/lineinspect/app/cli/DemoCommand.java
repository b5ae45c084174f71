package io.lineinspect.app.cli;

import io.lineinspect.app.InspectCommand;
import io.lineinspect.app.demo.DemoLine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect demo}: the options of the demo line; {@link DemoLine} runs it. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "The demo line: the service and simulated cameras in one process, then a summary.")
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      description = "Line configuration (default: configs/demo-line.yaml of the install).")
  Path config;

  @Option(
      names = "--plc",
      defaultValue = "sim",
      description =
          "Where the config's Modbus reject outputs go: 'sim' (default) starts a simulated PLC"
              + " with reject pushers on loopback, in a process of its own as a real PLC is a"
              + " machine of its own, and reports what left the belt; 'sim-in-process' runs it"
              + " inside the service's JVM (its GC pauses then delay the strokes); HOST:PORT"
              + " drives a real Modbus TCP server; 'none' runs without actuators.")
  String plc;

  @Option(
      names = "--reject-firing",
      description =
          "Who times the reject strokes of the Modbus outputs: 'plc' (the demo config's default:"
              + " each reject is handed to the PLC as an order at its verdict, the PLC fires it"
              + " at the due time) or 'service' (the service pulses the coils at the due time)."
              + " Default: as configured.")
  String rejectFiring;

  @Option(
      names = "--scheduler-fifo",
      description =
          "Run the reject-scheduler thread SCHED_FIFO at this priority (1..99; needs root or"
              + " CAP_SYS_NICE): actuators.timing.schedulerRealtimePriority.")
  Integer schedulerFifo;

  @Option(
      names = "--sim-plc-priority",
      defaultValue = "60",
      description =
          "The simulated PLC's stroke thread runs SCHED_FIFO at this priority (a real PLC's"
              + " cycle has its own CPU; this one shares the host with inference). 0: normal"
              + " priority. Default: ${DEFAULT-VALUE}.")
  int simPlcPriority;

  @Option(
      names = "--open-port",
      description =
          "Run the camera port open (no ingest.cameras, no tokens), as the demo configuration"
              + " file says. Default: each simulated camera cam-1 ... cam-N proves its id with a"
              + " secret the demo makes at start (SecureRandom, 16 bytes), configured as"
              + " ingest.cameras (replacing the configuration's own list).")
  boolean openPort;

  @Option(
      names = "--kafka",
      paramLabel = "HOST:PORT",
      description =
          "Export every verdict, reject outcome, alarm and model event to this Kafka broker"
              + " (kafka.enabled with kafka.bootstrapServers; spool in var/kafka-spool), then look"
              + " at it with 'inspect plant --kafka HOST:PORT'.")
  String kafka;

  @Option(
      names = "--linger",
      description =
          "Keep the service and its dashboard up after the cameras stop, until Ctrl-C"
              + " (docs/dashboard.md).")
  boolean linger;

  @CommandLine.Mixin CameraOptions options;

  @Override
  public Integer call() throws Exception {
    CameraOptions o = options;
    if (rejectFiring != null && !rejectFiring.equals("plc") && !rejectFiring.equals("service")) {
      throw new IllegalArgumentException(
          "--reject-firing must be plc or service, got " + rejectFiring);
    }
    Path home = InspectCommand.home();
    DemoLine.Plan plan =
        new DemoLine.Plan(
            config != null ? config : home.resolve("configs/demo-line.yaml"),
            o.cameras,
            o.settings(),
            o.seconds,
            plc,
            rejectFiring,
            schedulerFifo,
            simPlcPriority,
            openPort);
    DemoLine.Run run = new DemoLine(plan, home, System.out, kafka).linger(linger).run();
    return o.report(run.result(), run.extra());
  }
}
