package io.lineinspect.camera.ingest;

import io.lineinspect.core.config.Check;
import io.netty.channel.epoll.Epoll;
import java.util.Locale;

/**
 * The camera server's I/O transport, {@code ingest.transport}: which Netty event loop and server
 * channel {@link CameraServer} uses. The core passes the value through as text; this module alone
 * knows the names, checks them when the configuration is loaded ({@link IngestConfigModule}) and
 * when a server is assembled in code, and resolves {@code auto} at start.
 */
public enum IngestTransport {
  /** Epoll when it is available (Linux with the native library), else NIO. */
  AUTO,
  /** Epoll; start-up fails when it is not available. */
  EPOLL,
  /** The JDK's NIO selector, everywhere. */
  NIO;

  /** The key in the configuration. */
  public static final String KEY = "ingest.transport";

  /**
   * The transport named {@code name} ({@code auto}, {@code epoll} or {@code nio}; null or blank:
   * auto).
   *
   * @throws io.lineinspect.core.config.ConfigException naming {@link #KEY} and the allowed values
   */
  public static IngestTransport of(String name) {
    return valueOf(Check.oneOf(KEY, name, "auto", "auto", "epoll", "nio").toUpperCase(Locale.ROOT));
  }

  /**
   * Whether the server uses epoll, resolving {@link #AUTO} on this machine.
   *
   * @throws IllegalStateException for {@link #EPOLL} where epoll is not available
   */
  boolean useEpoll() {
    return switch (this) {
      case NIO -> false;
      case EPOLL -> {
        if (!Epoll.isAvailable()) {
          throw new IllegalStateException(
              KEY + " is epoll but epoll is not available: " + Epoll.unavailabilityCause());
        }
        yield true;
      }
      case AUTO -> Epoll.isAvailable();
    };
  }
}
