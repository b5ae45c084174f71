package io.lineinspect.app.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The dashboard's alarm list and rolling latency windows, driven by a fake clock. */
class AlarmsAndWindowsTest {
  @Test
  void anAlarmStaysListedUntilAcknowledgedAndCleared() {
    AtomicLong now = new AtomicLong(1_000);
    Alarms a = new Alarms(now::get);
    a.update(Map.of("plc-alarm", new String[] {"plc-alarm", "missed"}));
    assertEquals(1, a.toJson().size());
    a.update(Map.of()); // cleared, not acknowledged: still listed, inactive
    @SuppressWarnings("unchecked")
    Map<String, Object> cleared = (Map<String, Object>) a.toJson().get(0);
    assertEquals(false, cleared.get("active"));
    assertTrue(a.acknowledge("plc-alarm", "operator"));
    assertEquals(List.of(), a.toJson());
    assertFalse(a.acknowledge("plc-alarm", "operator"));
    // Acknowledged while active: listed until it clears; when it returns later, it is new.
    a.update(Map.of("x", new String[] {"k", "t"}));
    assertTrue(a.acknowledge("x", "operator"));
    assertEquals(1, a.toJson().size());
    a.update(Map.of());
    assertEquals(List.of(), a.toJson());
    now.set(2_000);
    a.update(Map.of("x", new String[] {"k", "t"}));
    @SuppressWarnings("unchecked")
    Map<String, Object> again = (Map<String, Object>) a.toJson().get(0);
    assertNull(again.get("ackedBy"));
    assertEquals(2_000L, again.get("sinceUs"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theMinuteWindowForgetsWhatIsOlderThanSixtySeconds() {
    RollingLatency r = new RollingLatency();
    long s = TimeUnit.SECONDS.toNanos(1);
    long t0 = 1_000 * s;
    for (int i = 0; i < 100; i++) {
      r.record(t0, 90_000, true); // a bad second: 90 ms, late
    }
    for (int i = 0; i < 100; i++) {
      r.record(t0 + 30 * s, 1_000, false);
    }
    Map<String, Object> at40 = r.toJson(t0 + 40 * s, 50_000);
    Map<String, Object> minute = (Map<String, Object>) at40.get("minute");
    assertEquals(200L, minute.get("count"));
    assertEquals(100L, minute.get("deadlineMisses"));
    assertTrue((Long) minute.get("p99Us") >= 89_000, minute.toString());
    // 61 s after the bad second it has left the minute window, not the hour window.
    Map<String, Object> at61 = r.toJson(t0 + 61 * s, 50_000);
    minute = (Map<String, Object>) at61.get("minute");
    Map<String, Object> hour = (Map<String, Object>) at61.get("hour");
    assertEquals(100L, minute.get("count"));
    assertEquals(0L, minute.get("deadlineMisses"));
    assertTrue((Long) minute.get("maxUs") < 2_000, minute.toString());
    assertEquals(200L, hour.get("count"));
    assertEquals(100L, hour.get("deadlineMisses"));
    // After an hour, nothing.
    Map<String, Object> later = r.toJson(t0 + 3_700 * s, 50_000);
    assertEquals(0L, ((Map<String, Object>) later.get("hour")).get("count"));
    assertNull(((Map<String, Object>) later.get("hour")).get("p99Us"));
  }
}
