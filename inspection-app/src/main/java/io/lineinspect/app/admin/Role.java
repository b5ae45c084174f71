package io.lineinspect.app.admin;

import java.util.Locale;

/**
 * Who a request to the admin endpoint speaks for ({@link AdminAuth}). Ordered: each role has the
 * rights of the roles before it. The table of routes and roles is in {@code
 * docs/security.md#admin-roles}.
 */
public enum Role {
  /** Reads: metrics, health, readiness, model status. */
  VIEWER,
  /** Actions on the line that change no model (the operator dashboard's labels, later). */
  OPERATOR,
  /** Model operations: activate, roll back, shadow start and stop. */
  ENGINEER;

  /** Whether this role has the rights of {@code required}. */
  public boolean includes(Role required) {
    return compareTo(required) >= 0;
  }

  /** The name in the configuration, the logs and the audit trail: {@code engineer}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
