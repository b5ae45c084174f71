package io.lineinspect.core.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.QualityAlarmConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.testing.TestVerdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnfitAlarmTest {
  private static void feed(UnfitAlarm alarm, String camera, ReasonCode reason, int times) {
    TestVerdict v = new TestVerdict();
    v.cameraId = camera;
    v.reason = reason;
    for (int i = 0; i < times; i++) {
      alarm.onVerdict(v);
    }
  }

  @Test
  void shouldRaiseAfterNUnfitFramesOfOneCameraOnlyAndClearAfterFitFrames() {
    UnfitAlarm alarm = new UnfitAlarm(new QualityAlarmConfig(5, 3));
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 4);
    feed(alarm, "cam-2", ReasonCode.NONE, 10);
    assertEquals(List.of(), alarm.activeAlarms(), "4 of 5");
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 1);
    assertEquals(List.of("cam-1"), alarm.activeAlarms());
    assertEquals(Map.of("cam-1", true, "cam-2", false), alarm.alarmStates());
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 100);
    assertEquals(1, alarm.raised("cam-1"), "raised once, not per frame");
    assertEquals(0, alarm.raised("cam-2"));
    feed(alarm, "cam-1", ReasonCode.NONE, 2);
    assertEquals(List.of("cam-1"), alarm.activeAlarms(), "2 of 3 fit frames");
    feed(alarm, "cam-1", ReasonCode.NONE, 1);
    assertEquals(List.of(), alarm.activeAlarms());
  }

  @Test
  void shouldNeedConsecutiveUnfitFramesAndIgnoreOtherFailSafeReasons() {
    UnfitAlarm alarm = new UnfitAlarm(new QualityAlarmConfig(3, 3));
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 2);
    feed(alarm, "cam-1", ReasonCode.NONE, 1);
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 2);
    assertEquals(List.of(), alarm.activeAlarms(), "a judged frame breaks the run");
    feed(alarm, "cam-1", ReasonCode.DEADLINE, 5);
    feed(alarm, "cam-1", ReasonCode.UNFIT_IMAGE, 1);
    assertEquals(List.of("cam-1"), alarm.activeAlarms(), "a DEADLINE neither counts nor breaks");
    feed(alarm, "cam-1", ReasonCode.OVERLOAD, 10);
    assertEquals(List.of("cam-1"), alarm.activeAlarms(), "overload does not clear it");
  }

  @Test
  void shouldStayBoundedUnderEverNewCameraIdsAndKeepRaisedAlarms() {
    UnfitAlarm alarm = new UnfitAlarm(new QualityAlarmConfig(2, 2));
    feed(alarm, "lens-cap", ReasonCode.UNFIT_IMAGE, 2);
    for (int i = 0; i < 3 * UnfitAlarm.MAX_CAMERAS; i++) {
      feed(alarm, "id-" + i, ReasonCode.NONE, 1);
    }
    assertTrue(alarm.tracked() <= UnfitAlarm.MAX_CAMERAS, "tracked " + alarm.tracked());
    assertEquals(List.of("lens-cap"), alarm.activeAlarms(), "a raised alarm is never evicted");
    feed(alarm, "late", ReasonCode.UNFIT_IMAGE, 2);
    assertEquals(List.of("late", "lens-cap"), alarm.activeAlarms(), "new cameras still tracked");
  }
}
