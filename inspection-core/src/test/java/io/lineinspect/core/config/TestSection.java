package io.lineinspect.core.config;

/**
 * A module's section known to the core's tests only ({@link TestSectionModule}), bound at the
 * {@code inference.djl} slot in place of the real DJL settings of module {@code gpu-inference}.
 */
public record TestSection(String mode, Integer size) {
  public TestSection {
    mode = Check.oneOf("inference.djl.mode", mode, "fast", "fast", "exact");
    size = Check.intIn("inference.djl.size", size, 4, 1, 8);
  }
}
