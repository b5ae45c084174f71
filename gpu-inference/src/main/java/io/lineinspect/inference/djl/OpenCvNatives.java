package io.lineinspect.inference.djl;

/**
 * Loads OpenCV's native library once per JVM from the {@code org.openpnp:opencv} jar (it extracts
 * the bundled library to a temporary file: about a second, once). Thread-safe.
 */
final class OpenCvNatives {
  private static volatile boolean loaded;

  private OpenCvNatives() {}

  static void load() {
    if (loaded) {
      return;
    }
    synchronized (OpenCvNatives.class) {
      if (!loaded) {
        nu.pattern.OpenCV.loadLocally();
        loaded = true;
      }
    }
  }
}
