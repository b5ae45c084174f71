package io.lineinspect.core.health;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The service's health, as {@code /health} reports it and the PLC's alarm coil shows it: every
 * registered {@link Stage} (dead, failed or stalled makes the service unhealthy, naming the stage),
 * plus conditions registered by other parts (a model session that did not open, a persistent
 * unfit-image alarm of a camera). Thread-safe; read on demand, nothing runs here.
 */
public final class StageHealth {
  private final List<Stage> stages = new CopyOnWriteArrayList<>();
  private final List<Supplier<List<String>>> conditions = new CopyOnWriteArrayList<>();

  /** Adds a stage (null ignored). */
  public Stage add(Stage stage) {
    if (stage != null) {
      stages.add(stage);
    }
    return stage;
  }

  /**
   * Adds a source of problems: each call returns the problems active now (empty when none), each a
   * line naming what is wrong.
   */
  public void addCondition(Supplier<List<String>> condition) {
    conditions.add(condition);
  }

  public List<Stage> stages() {
    return List.copyOf(stages);
  }

  /** Every problem now, one line each; empty when healthy. */
  public List<String> problems() {
    long now = System.nanoTime();
    List<String> out = new ArrayList<>();
    for (Stage s : stages) {
      String p = s.problem(now);
      if (p != null) {
        out.add(p);
      }
    }
    for (Supplier<List<String>> c : conditions) {
      try {
        out.addAll(c.get());
      } catch (RuntimeException e) {
        out.add("health condition failed: " + e);
      }
    }
    return out;
  }

  public boolean healthy() {
    return problems().isEmpty();
  }
}
