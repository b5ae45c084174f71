package io.lineinspect.core.config;

/**
 * Shadow mode: a candidate model judges a sample of the live frames on spare capacity; its
 * disagreements with the live model are counted and recorded, never acted on (see {@code
 * docs/models.md}).
 *
 * @param sampleEvery offer every n-th judged frame of each camera (by frame number) to the shadow
 *     model (default 4)
 * @param slots frames waiting for the shadow model at once; beyond, a sample is skipped and
 *     counted, never waited for (default 8)
 * @param dutyCycle the shadow model takes at most this share of one core (default 0.25)
 * @param dir where disagreements are recorded ({@code disagreements.jsonl} and their images);
 *     relative paths resolve against the install directory (default {@code var/shadow})
 * @param maxImages images of disagreements kept per shadow run; the count goes on (default 1000)
 */
public record ShadowConfig(
    Integer sampleEvery, Integer slots, Double dutyCycle, String dir, Integer maxImages) {
  public ShadowConfig {
    sampleEvery = Check.intIn("models.shadow.sampleEvery", sampleEvery, 4, 1, 1_000_000);
    slots = Check.intIn("models.shadow.slots", slots, 8, 1, 1024);
    dutyCycle = Check.doubleIn("models.shadow.dutyCycle", dutyCycle, 0.25, 0.01, 1.0);
    dir = Check.text("models.shadow.dir", dir, "var/shadow");
    maxImages = Check.intIn("models.shadow.maxImages", maxImages, 1000, 0, 10_000_000);
  }

  public static ShadowConfig defaults() {
    return new ShadowConfig(null, null, null, null, null);
  }
}
