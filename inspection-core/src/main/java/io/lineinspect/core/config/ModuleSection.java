package io.lineinspect.core.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Objects;

/**
 * A part of the configuration tree that a module owns, held by the core without knowing its type:
 * the core's record declares the slot (a component of this type, annotated with its dotted {@link
 * Key}), a module names the record that binds it through {@link ConfigModule#sections()}, and
 * {@link ConfigLoader} binds and validates the subtree with that record, so an unknown key or a bad
 * value names its full key path as everywhere else. The module reads its settings back with {@link
 * #as(Class)}; the core never does.
 *
 * <p>Immutable. Four states: bound by the loader (given in the YAML or not: an absent section is
 * bound from an empty one, so it has the module's defaults); given in code ({@link #of}); left out
 * in code ({@link #absent}); and, only from the loader, no module on the class path owns the key
 * ({@link #hasModule()} false), which the record holding the slot turns into a clear error where
 * the configuration needs the module.
 */
public final class ModuleSection {
  /** The dotted key of a {@link ModuleSection} slot, for example {@code inference.djl}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
  public @interface Key {
    String value();
  }

  private final String key;
  private final Object value;
  private final boolean given;
  private final boolean hasModule;

  private ModuleSection(String key, Object value, boolean given, boolean hasModule) {
    this.key = Objects.requireNonNull(key, "key");
    this.value = value;
    this.given = given;
    this.hasModule = hasModule;
  }

  /** A section given in code (tests, tools): {@code value} is the module's settings record. */
  public static ModuleSection of(String key, Object value) {
    return new ModuleSection(key, Objects.requireNonNull(value, "value"), true, true);
  }

  /** A section left out of a configuration assembled in code: the module applies its defaults. */
  public static ModuleSection absent(String key) {
    return new ModuleSection(key, null, false, true);
  }

  /** Bound by the loader with the owning module's record. */
  static ModuleSection bound(String key, Object value, boolean given) {
    return new ModuleSection(key, value, given, true);
  }

  /** Found by the loader with no module on the class path to own {@code key}. */
  static ModuleSection withoutModule(String key, boolean given) {
    return new ModuleSection(key, null, given, false);
  }

  /** The dotted key, for example {@code inference.djl}. */
  public String key() {
    return key;
  }

  /** Whether the configuration gave this section (in the YAML or in code). */
  public boolean given() {
    return given;
  }

  /** False only when the loader found no module on the class path owning this key. */
  public boolean hasModule() {
    return hasModule;
  }

  /**
   * The module's settings record, or null when the section was left out of a configuration
   * assembled in code (the module then applies its defaults).
   *
   * @throws ConfigException when no module on the class path owns the key
   * @throws IllegalStateException when the section was bound with another type
   */
  public <T> T as(Class<T> type) {
    if (!hasModule) {
      throw new ConfigException(key + ": no module on the class path reads this section");
    }
    if (value != null && !type.isInstance(value)) {
      throw new IllegalStateException(
          key + " holds a " + value.getClass().getName() + ", not a " + type.getName());
    }
    return type.cast(value);
  }

  /**
   * Refuses a section that the configuration gives but no module on the class path reads: like an
   * unknown key, it would otherwise be ignored in silence.
   *
   * @param module the module that owns the key, for the message
   */
  public void refuseIfGivenWithoutModule(String module) {
    if (given && !hasModule) {
      throw new ConfigException(
          key
              + ": no module on the class path reads this section (it belongs to module "
              + module
              + ")");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModuleSection s
        && key.equals(s.key)
        && Objects.equals(value, s.value)
        && given == s.given
        && hasModule == s.hasModule;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value, given, hasModule);
  }

  @Override
  public String toString() {
    return key
        + (hasModule ? "" : " (no module)")
        + (value == null ? (given ? " (given)" : " (absent)") : "=" + value);
  }
}
