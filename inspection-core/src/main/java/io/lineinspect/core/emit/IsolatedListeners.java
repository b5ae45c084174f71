package io.lineinspect.core.emit;

import io.lineinspect.core.health.ErrorLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several {@link VerdictListener}s called in order, each isolated: an exception thrown by one is
 * counted under its name, logged de-duplicated ({@link ErrorLog}), and the verdict still goes to
 * every later listener. Nested instances are flattened, so every listener keeps its own counter.
 *
 * <p>Thread-safe (the counters are); called wherever verdicts are delivered.
 */
public final class IsolatedListeners implements VerdictListener {
  private static final System.Logger LOG = System.getLogger(IsolatedListeners.class.getName());

  private final VerdictListener[] listeners;
  private final ErrorLog[] errors;

  private IsolatedListeners(List<VerdictListener> listeners) {
    this.listeners = listeners.toArray(VerdictListener[]::new);
    this.errors = new ErrorLog[this.listeners.length];
    for (int i = 0; i < errors.length; i++) {
      errors[i] = new ErrorLog(LOG, "verdict listener " + this.listeners[i].listenerName());
    }
  }

  /** The given listeners (nulls skipped, nested ones flattened), or null when none is given. */
  public static IsolatedListeners of(VerdictListener... listeners) {
    List<VerdictListener> flat = new ArrayList<>();
    for (VerdictListener l : listeners) {
      if (l instanceof IsolatedListeners nested) {
        flat.addAll(List.of(nested.listeners));
      } else if (l != null) {
        flat.add(l);
      }
    }
    return flat.isEmpty() ? null : new IsolatedListeners(flat);
  }

  @Override
  public void onVerdict(VerdictView verdict) {
    if (verdict.warmUp()) {
      onWarmUpVerdict(verdict); // belt and braces: FrameSource already routes them there
      return;
    }
    for (int i = 0; i < listeners.length; i++) {
      try {
        listeners[i].onVerdict(verdict);
      } catch (RuntimeException | LinkageError | AssertionError e) {
        errors[i].error(
            "failed on "
                + verdict.cameraId()
                + "#"
                + Long.toUnsignedString(verdict.sequence())
                + ": "
                + e,
            e);
      }
    }
  }

  /** Each listener's {@link VerdictListener#onWarmUpVerdict}, isolated like {@link #onVerdict}. */
  @Override
  public void onWarmUpVerdict(VerdictView verdict) {
    for (int i = 0; i < listeners.length; i++) {
      try {
        listeners[i].onWarmUpVerdict(verdict);
      } catch (RuntimeException | LinkageError | AssertionError e) {
        errors[i].error("failed on a warm-up verdict: " + e, e);
      }
    }
  }

  @Override
  public String listenerName() {
    return "listeners";
  }

  /** Errors so far by listener name, in call order (names may repeat: counts are summed). */
  public Map<String, Long> errors() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (int i = 0; i < listeners.length; i++) {
      m.merge(listeners[i].listenerName(), errors[i].count(), Long::sum);
    }
    return m;
  }

  /** Errors so far, all listeners together. */
  public long totalErrors() {
    long n = 0;
    for (ErrorLog e : errors) {
      n += e.count();
    }
    return n;
  }
}
