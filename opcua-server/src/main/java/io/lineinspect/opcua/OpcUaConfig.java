package io.lineinspect.opcua;

import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The OPC UA server's section, {@code opcua}: owned by this module, contributed to the loader by
 * {@link OpcUaConfigModule}; the core holds it as an opaque {@link
 * io.lineinspect.core.config.ModuleSection}. Every key is documented in {@code
 * docs/configuration.md#opcua}.
 *
 * @param enabled serve OPC UA (default false)
 * @param host address to bind (default 127.0.0.1: this machine only)
 * @param port TCP port (default 4840, the OPC UA port; 0 picks a free one)
 * @param path the endpoint's path (default {@code /lineinspect})
 * @param securityPolicy {@code Basic256Sha256} (default, SignAndEncrypt) or {@code None} (no
 *     signing or encryption of messages: logged as a warning; passwords are still encrypted)
 * @param dir where the application certificate, its key and the PKI directories (trusted, rejected)
 *     live, relative to the install (default {@code var/opcua})
 * @param users who may log in: user name → role and password file (default: {@code engineer} and
 *     {@code operator}, passwords in {@code var/opcua/<name>.password})
 * @param events which verdicts raise a ResultReadyEvent: {@code all} (default) or {@code failures}
 *     (FAIL and fail-safe verdicts only)
 * @param maxEventsPerSecond ResultReadyEvents raised per second at most; the others are counted as
 *     suppressed (default 200)
 * @param recentResults results kept for GetResultById / GetResultListFiltered (default 1000)
 * @param queueSize audit lines waiting for the OPC UA feed thread, a power of two (default 8192); a
 *     full queue is counted, never waited for
 * @param updateIntervalMs how often the line's variables (state, yield, latency) are refreshed
 *     (default 100)
 */
public record OpcUaConfig(
    Boolean enabled,
    String host,
    Integer port,
    String path,
    String securityPolicy,
    String dir,
    Map<String, OpcUaUserConfig> users,
    String events,
    Integer maxEventsPerSecond,
    Integer recentResults,
    Integer queueSize,
    Integer updateIntervalMs) {
  static final Pattern USER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public OpcUaConfig {
    enabled = enabled != null && enabled;
    host = Check.text("opcua.host", host, "127.0.0.1");
    port = Check.intIn("opcua.port", port, 4840, 0, 65_535);
    path = Check.text("opcua.path", path, "/lineinspect");
    if (!path.matches("/[A-Za-z0-9._~/-]*") || path.endsWith("/discovery")) {
      throw new ConfigException(
          "opcua.path: must start with / and hold only A-Z a-z 0-9 . _ ~ / - (and not end with"
              + " /discovery), got '"
              + path
              + "'");
    }
    securityPolicy =
        Check.oneOf(
            "opcua.securityPolicy", securityPolicy, "Basic256Sha256", "Basic256Sha256", "None");
    dir = Check.text("opcua.dir", dir, "var/opcua");
    Map<String, OpcUaUserConfig> u = new TreeMap<>();
    if (users == null) {
      u.put("engineer", new OpcUaUserConfig("engineer", "var/opcua/engineer.password"));
      u.put("operator", new OpcUaUserConfig("operator", "var/opcua/operator.password"));
    } else {
      for (Map.Entry<String, OpcUaUserConfig> e : users.entrySet()) {
        String name = e.getKey();
        if (!USER.matcher(name).matches()) {
          throw new ConfigException(
              "opcua.users." + name + ": a user name is 1-64 of A-Z a-z 0-9 . _ -");
        }
        if (e.getValue() == null) {
          throw new ConfigException("opcua.users." + name + ": give role and passwordFile");
        }
        u.put(name, e.getValue().checked("opcua.users." + name));
      }
      if (u.isEmpty()) {
        throw new ConfigException(
            "opcua.users: at least one user (anonymous login is not offered)");
      }
    }
    users = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(u));
    events = Check.oneOf("opcua.events", events, "all", "all", "failures");
    maxEventsPerSecond =
        Check.intIn("opcua.maxEventsPerSecond", maxEventsPerSecond, 200, 1, 100_000);
    recentResults = Check.intIn("opcua.recentResults", recentResults, 1000, 1, 100_000);
    queueSize = Check.intIn("opcua.queueSize", queueSize, 8192, 16, 1 << 20);
    if (Integer.bitCount(queueSize) != 1) {
      throw new ConfigException("opcua.queueSize: must be a power of two, got " + queueSize);
    }
    updateIntervalMs = Check.intIn("opcua.updateIntervalMs", updateIntervalMs, 100, 10, 10_000);
  }

  /** One user: a role and the file holding the password. */
  public record OpcUaUserConfig(String role, String passwordFile) {
    OpcUaUserConfig checked(String key) {
      String r = Check.oneOf(key + ".role", role, "operator", "operator", "engineer");
      String f = Check.text(key + ".passwordFile", passwordFile, null);
      return new OpcUaUserConfig(r, f);
    }

    /** Whether this user may call the engineer-only methods. */
    public boolean engineer() {
      return "engineer".equals(role);
    }
  }

  /** Off: the defaults. */
  public static OpcUaConfig defaults() {
    return new OpcUaConfig(null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** The section of {@code config}: as loaded, or the defaults when assembled in code without. */
  public static OpcUaConfig of(ServiceConfig config) {
    OpcUaConfig c = config.opcua().as(OpcUaConfig.class);
    return c == null ? defaults() : c;
  }

  /** Enabled on loopback on {@code port} (0 = free), files under {@code dir} (tests, demo). */
  public static OpcUaConfig onLoopback(int port, String dir) {
    return new OpcUaConfig(
        true,
        null,
        port,
        null,
        null,
        dir,
        Map.of(
            "engineer", new OpcUaUserConfig("engineer", dir + "/engineer.password"),
            "operator", new OpcUaUserConfig("operator", dir + "/operator.password")),
        null,
        null,
        null,
        null,
        null);
  }

  /** The same settings with other event settings. */
  public OpcUaConfig withEvents(String which, int perSecond) {
    return new OpcUaConfig(
        enabled,
        host,
        port,
        path,
        securityPolicy,
        dir,
        users,
        which,
        perSecond,
        recentResults,
        queueSize,
        updateIntervalMs);
  }

  /** The same settings with another security policy. */
  public OpcUaConfig withSecurityPolicy(String policy) {
    return new OpcUaConfig(
        enabled,
        host,
        port,
        path,
        policy,
        dir,
        users,
        events,
        maxEventsPerSecond,
        recentResults,
        queueSize,
        updateIntervalMs);
  }
}
