package io.lineinspect.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.app.DemoConfigs;
import io.lineinspect.app.InspectionService;
import io.lineinspect.app.SimRun;
import io.lineinspect.core.actuate.ActuatorMetrics;
import io.lineinspect.core.config.ServiceConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole line with its reject actuator: simulated cameras → service → Modbus TCP → a simulated
 * PLC whose pushers act on the parts, judged against the simulator's ground truth.
 */
class RejectGateTest {
  @Test
  void everyFailVerdictPushesItsOwnPartOffTheBeltOrIsCountedMissed() throws Exception {
    everyFailVerdictPushesItsOwnPart("service");
  }

  @Test
  void everyPlcTimedOrderPushesItsOwnPartOffTheBeltOrIsCountedMissed() throws Exception {
    everyFailVerdictPushesItsOwnPart("plc");
  }

  private static void everyFailVerdictPushesItsOwnPart(String firing) throws Exception {
    ServiceConfig c = DemoConfigs.load();
    ServiceConfig base = DemoConfigs.onLoopback(c, "builtin", 0).withActuators(c.actuators());
    ByteArrayOutputStream report = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(report, true, StandardCharsets.UTF_8);
    SimStats stats = new SimStats();
    stats.logParts();
    Map<String, Object> json;
    ActuatorMetrics.Snapshot a;
    SimRun.Result r;
    try (DemoActuators actuators = DemoActuators.prepare(base, "sim", 2, firing);
        InspectionService service = new InspectionService(actuators.config(), Path.of(".."))) {
      int port = service.start();
      r =
          new SimRun(
                  "127.0.0.1",
                  port,
                  2,
                  new SimulatedCamera.Settings(256, 256, PixelFormat.MONO8, 20, 0.3, 5),
                  3,
                  out)
              .run(() -> "", stats);
      service.close(); // fires the rejects still travelling to the gate
      a = service.rejects().metrics().snapshot();
      json = actuators.report(service.rejects(), stats, out);
    }
    String text = report.toString(StandardCharsets.UTF_8);
    SimStats.Snapshot s = r.stats();
    assertTrue(r.promisesKept(), s.toString());
    long delivered = a.outputs().get("reject-plc").delivered();
    long pushes = (Long) json.get("pusherStrokes");
    long defectsPushed = (Long) json.get("defectsRejectedAtGate");
    long goodPushed = (Long) json.get("goodPartsRejectedAtGate");
    long stray = (Long) json.get("strayPusherStrokes");
    // Every FAIL verdict is a delivered pulse or a counted miss; every confirmed pulse is one
    // stroke, and an unconfirmed one (TIMEOUT: the PLC answered late) may be one too.
    assertEquals(s.fail(), delivered + a.missedTotal(), text);
    long unconfirmed = a.missed().get(io.lineinspect.core.actuate.MissCause.TIMEOUT);
    assertTrue(pushes >= delivered && pushes <= delivered + unconfirmed, text);
    assertEquals(pushes, defectsPushed + goodPushed + stray, text);
    // A stroke only ever pushes the part whose FAIL verdict caused it, never a neighbour.
    assertTrue(defectsPushed <= s.truePositive(), text);
    assertTrue(goodPushed <= s.falsePositive(), text);
    assertEquals(s.defectiveSent(), defectsPushed + (Long) json.get("defectsEscapedAtGate"), text);
    assertEquals(firing, json.get("rejectFiring"), text);
    System.out.println(
        text.lines()
            .filter(
                l ->
                    l.startsWith("actuators")
                        || l.startsWith("reject gate")
                        || l.startsWith("stroke timing"))
            .toList());
  }
}
