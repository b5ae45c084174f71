package io.lineinspect.app.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The line's alarms as the operator sees them: each condition ({@link DashboardFeed}) raises an
 * alarm under a stable id when it becomes active; it stays listed, active or cleared, until it is
 * acknowledged and cleared. A condition that returns after being cleared is a new alarm (not
 * acknowledged). Owned by the {@code dashboard} thread, under the feed's lock.
 */
final class Alarms {
  private final LongSupplier epochUs;
  private final Map<String, Alarm> alarms = new LinkedHashMap<>();

  private static final class Alarm {
    final String id;
    String kind;
    String text;
    long sinceUs;
    boolean active;
    String ackedBy;
    long ackedUs;

    Alarm(String id) {
      this.id = id;
    }
  }

  Alarms(LongSupplier epochUs) {
    this.epochUs = epochUs;
  }

  /** The conditions active now: id → {kind, text}. */
  void update(Map<String, String[]> active) {
    long now = epochUs.getAsLong();
    for (Map.Entry<String, String[]> e : active.entrySet()) {
      Alarm a = alarms.get(e.getKey());
      if (a == null || !a.active) {
        a = new Alarm(e.getKey());
        a.sinceUs = now;
        a.active = true;
        alarms.remove(e.getKey());
        alarms.put(e.getKey(), a);
      }
      a.kind = e.getValue()[0];
      a.text = e.getValue()[1];
    }
    alarms.values().removeIf(a -> !active.containsKey(a.id) && a.ackedBy != null);
    for (Alarm a : alarms.values()) {
      if (!active.containsKey(a.id)) {
        a.active = false;
      }
    }
    while (alarms.size() > 100) {
      alarms.remove(alarms.keySet().iterator().next());
    }
  }

  boolean acknowledge(String id, String role) {
    Alarm a = alarms.get(id);
    if (a == null) {
      return false;
    }
    if (a.ackedBy == null) {
      a.ackedBy = role;
      a.ackedUs = epochUs.getAsLong();
    }
    if (!a.active) {
      alarms.remove(id);
    }
    return true;
  }

  List<Object> toJson() {
    List<Object> out = new ArrayList<>();
    for (Alarm a : alarms.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", a.id);
      m.put("kind", a.kind);
      m.put("text", a.text);
      m.put("sinceUs", a.sinceUs);
      m.put("active", a.active);
      m.put("ackedBy", a.ackedBy);
      m.put("ackedUs", a.ackedBy == null ? null : a.ackedUs);
      out.add(m);
    }
    return out;
  }
}
