package io.lineinspect.core.config;

/** Validation helpers for config records: each names the key in its message. */
public final class Check {
  private Check() {}

  public static int intIn(String key, Integer value, Integer def, int min, int max) {
    if (value == null) {
      if (def == null) {
        throw new ConfigException(key + ": required value is missing");
      }
      return def;
    }
    if (value < min || value > max) {
      throw new ConfigException(
          key + ": must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  public static double doubleIn(String key, Double value, double def, double min, double max) {
    if (value == null) {
      return def;
    }
    if (!(value >= min && value <= max)) {
      throw new ConfigException(
          key + ": must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  public static String text(String key, String value, String def) {
    if (value == null || value.isBlank()) {
      if (def == null) {
        throw new ConfigException(key + ": required value is missing");
      }
      return def;
    }
    return value;
  }

  public static String oneOf(String key, String value, String def, String... allowed) {
    String v = text(key, value, def);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw new ConfigException(
        key + ": must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
  }
}
