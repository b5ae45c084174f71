package io.lineinspect.app;

import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Filter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Logging for the service: one console handler on the root logger, text (default) or one JSON
 * object per line ({@code INSPECT_LOG_FORMAT=json}), with repeated WARNING/ERROR lines
 * de-duplicated: the same logger and text within {@value #WINDOW_MS} ms is logged once, and the
 * next one after the window says how many were suppressed. A PLC that went away or a full disk then
 * yields a line every 10 s, not thousands. Lines are written by a thread of their own ({@link
 * AsyncLogHandler}), so a slow standard error never stalls the thread that logs.
 */
final class LogSetup {
  static final long WINDOW_MS = 10_000;

  private LogSetup() {}

  static void install(String format) {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler console = new ConsoleHandler();
    console.setLevel(Level.ALL);
    console.setFormatter(
        "json".equalsIgnoreCase(format) ? new JsonFormatter() : new SimpleFormatter());
    // The console writes on its own thread: a line thread never waits for standard error.
    AsyncLogHandler async = new AsyncLogHandler(console, AsyncLogHandler.CAPACITY);
    async.setLevel(Level.ALL);
    async.setFilter(new Dedup(WINDOW_MS));
    root.addHandler(async);
  }

  /** Suppresses repeats of the same WARNING/SEVERE template within a window; counts them. */
  static final class Dedup implements Filter {
    private final long windowMs;
    private final Map<String, long[]> seen = new HashMap<>(); // key -> {firstMs, suppressed}

    Dedup(long windowMs) {
      this.windowMs = windowMs;
    }

    @Override
    public synchronized boolean isLoggable(LogRecord r) {
      if (r.getLevel().intValue() < Level.WARNING.intValue()) {
        return true;
      }
      long now = r.getMillis();
      // Keyed on the formatted text: the same error repeats; different parts' misses do not.
      String text =
          r.getParameters() == null || r.getParameters().length == 0
              ? r.getMessage()
              : java.text.MessageFormat.format(r.getMessage(), r.getParameters());
      String key = r.getLoggerName() + '\u0000' + text;
      long[] s = seen.get(key);
      if (s != null && now - s[0] < windowMs) {
        s[1]++;
        return false;
      }
      if (s != null && s[1] > 0) {
        r.setMessage(
            r.getMessage()
                + " [repeated "
                + s[1]
                + " more times in the last "
                + (now - s[0]) / 1000
                + " s]");
      }
      seen.put(key, new long[] {now, 0});
      if (seen.size() > 10_000) {
        Iterator<long[]> it = seen.values().iterator();
        while (it.hasNext()) {
          if (now - it.next()[0] >= windowMs) {
            it.remove();
          }
        }
      }
      return true;
    }
  }

  /** {"ts":"…","level":"WARNING","logger":"…","thread":…,"msg":"…","error":"…"} per line. */
  static final class JsonFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
      StringBuilder b = new StringBuilder(256);
      b.append("{\"ts\":\"").append(Instant.ofEpochMilli(r.getMillis())).append('"');
      b.append(",\"level\":\"").append(r.getLevel().getName()).append('"');
      b.append(",\"logger\":");
      quote(b, r.getLoggerName());
      b.append(",\"thread\":").append(r.getLongThreadID());
      b.append(",\"msg\":");
      quote(b, formatMessage(r));
      if (r.getThrown() != null) {
        b.append(",\"error\":");
        quote(b, r.getThrown().toString());
      }
      return b.append("}\n").toString();
    }

    private static void quote(StringBuilder b, String s) {
      b.append('"');
      if (s != null) {
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          switch (c) {
            case '"' -> b.append("\\\"");
            case '\\' -> b.append("\\\\");
            case '\n' -> b.append("\\n");
            case '\r' -> b.append("\\r");
            case '\t' -> b.append("\\t");
            default -> {
              if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
              } else {
                b.append(c);
              }
            }
          }
        }
      }
      b.append('"');
    }
  }
}
