package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class AsyncLogHandlerTest {
  /** A console that can be stopped, like a full pipe or a paused terminal. */
  private static final class StuckConsole extends Handler {
    final CountDownLatch open = new CountDownLatch(1);
    final List<LogRecord> written = new CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord r) {
      try {
        open.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  private static LogRecord line(int i) {
    LogRecord r = new LogRecord(Level.WARNING, "line " + i);
    r.setLoggerName("test");
    return r;
  }

  @Test
  void shouldNeverMakeTheLoggingThreadWaitForAStuckConsoleAndCountWhatItDrops() throws Exception {
    StuckConsole console = new StuckConsole();
    AsyncLogHandler h = new AsyncLogHandler(console, 64);
    // A synchronous console would block here forever.
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          for (int i = 0; i < 10_000; i++) {
            h.publish(line(i));
          }
        });
    long dropped = h.dropped();
    // 64 queued and at most one taken by the stuck writer.
    assertTrue(dropped >= 10_000 - 65 && dropped <= 10_000 - 64, "dropped " + dropped);
    console.open.countDown();
    h.close();
    List<LogRecord> w = console.written;
    assertEquals(10_000 - dropped + 1, w.size(), "kept lines and one line about the lost ones");
    for (int i = 0; i < w.size() - 1; i++) {
      assertEquals("line " + i, w.get(i).getMessage(), "in order, the oldest kept");
    }
    String last = w.get(w.size() - 1).getMessage();
    assertTrue(last.startsWith(dropped + " log line(s) dropped"), last);
  }

  @Test
  void shouldWriteEveryLineInOrderAndNameTheCallerNotTheWriterThread() throws Exception {
    StuckConsole console = new StuckConsole();
    console.open.countDown();
    AsyncLogHandler h = new AsyncLogHandler(console, 64);
    java.util.logging.Logger log = java.util.logging.Logger.getAnonymousLogger();
    log.setUseParentHandlers(false);
    log.addHandler(h);
    for (int i = 0; i < 50; i++) {
      log.log(Level.WARNING, "line " + i);
    }
    h.close();
    assertEquals(50, console.written.size());
    assertEquals(0, h.dropped());
    for (int i = 0; i < 50; i++) {
      assertEquals("line " + i, console.written.get(i).getMessage());
    }
    assertEquals(AsyncLogHandlerTest.class.getName(), console.written.get(0).getSourceClassName());
  }
}
