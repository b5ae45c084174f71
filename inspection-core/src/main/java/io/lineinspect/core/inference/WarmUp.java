package io.lineinspect.core.inference;

import io.lineinspect.core.pipeline.FrameEvent;
import io.lineinspect.core.time.NanoClock;
import java.util.Arrays;
import java.util.Locale;

/**
 * Runs every batch size a session will see before it judges real frames (the first calls are slow:
 * class loading, JIT, lazy native allocation) and measures it: a first sweep over sizes 1..maxBatch
 * that is not timed, then a second whose median of three runs per size is the result.
 *
 * <p>Used by the inference thread at start-up ({@link Pacer#FULL_SPEED}: nothing else is being
 * judged yet) and by the model lifecycle for a candidate warmed up beside the running model, paced
 * to spare capacity.
 */
public final class WarmUp {
  private WarmUp() {}

  /**
   * @param floats model-input floats per frame ({@link InferenceBackend#inputFloats()}, > 0)
   * @param pacer waits for an idle line before each call and rests after it
   * @return {@code ns[n]} = time of a batch of n (index 0 unused): the median of the three timed
   *     runs at full speed; beside a running line ({@code pacer} not {@link Pacer#FULL_SPEED}) the
   *     fastest, the run least slowed by the line's own work sharing the cores (seeding the batcher
   *     with contended times would make it fail frames safe for time it does not need)
   * @throws Exception what the session throws: a model that fails here must not be served
   */
  public static long[] measure(
      InferenceSession session, int maxBatch, int floats, NanoClock clock, Pacer pacer)
      throws Exception {
    FrameEvent[] events = new FrameEvent[maxBatch];
    for (int i = 0; i < maxBatch; i++) {
      events[i] = FrameEvent.forWarmUp(floats);
    }
    long[] ns = new long[maxBatch + 1];
    long[] runs = new long[3];
    for (int sweep = 0; sweep < 2; sweep++) {
      for (int n = 1; n <= maxBatch; n++) {
        for (int r = 0; r < runs.length; r++) {
          pacer.awaitIdle();
          long start = clock.nanoTime();
          session.infer(events, n);
          runs[r] = clock.nanoTime() - start;
          pacer.rest(runs[r]);
        }
        if (sweep == 1) {
          Arrays.sort(runs);
          ns[n] = pacer == Pacer.FULL_SPEED ? runs[1] : runs[0];
        }
      }
    }
    return ns;
  }

  /** {@code "1=2.10 2=3.05 …"} (ms), for logs. */
  public static String describe(long[] ns) {
    StringBuilder b = new StringBuilder();
    for (int n = 1; n < ns.length; n++) {
      b.append(n == 1 ? "" : " ")
          .append(n)
          .append('=')
          .append(String.format(Locale.ROOT, "%.2f", ns[n] / 1e6));
    }
    return b.toString();
  }
}
