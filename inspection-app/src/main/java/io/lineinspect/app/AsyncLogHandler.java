package io.lineinspect.app;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Hands log records to a bounded queue; a daemon thread, {@code log-writer}, writes them to the
 * delegate. A line thread that logs (the reject scheduler, an I/O thread, inference) never waits
 * for the console: a standard error that is a full pipe, a paused terminal or a slow journal would
 * otherwise stall the line. When the queue is full the record is dropped and counted, and the
 * writer says how many it lost once it catches up. {@link #close} writes what is queued (at most
 * {@value #CLOSE_WAIT_MS} ms) before closing the delegate.
 *
 * <p>The filter runs on the calling thread (so de-duplication keeps repeats out of the queue), and
 * so does the inference of the caller's class and method, which must see the caller's stack.
 */
final class AsyncLogHandler extends Handler {
  static final int CAPACITY = 4096;
  static final long CLOSE_WAIT_MS = 2_000;

  private final Handler delegate;
  private final BlockingQueue<LogRecord> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;

  AsyncLogHandler(Handler delegate, int capacity) {
    this.delegate = delegate;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = new Thread(this::write, "log-writer");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public void publish(LogRecord r) {
    if (r == null || closed || !isLoggable(r)) {
      return;
    }
    r.getSourceClassName(); // infers the caller now, on the caller's stack
    if (!queue.offer(r)) {
      dropped.incrementAndGet();
    }
  }

  /** Records dropped because the queue was full, since start. */
  long dropped() {
    return dropped.get();
  }

  private void write() {
    long reported = 0;
    while (true) {
      LogRecord r;
      try {
        r = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (r != null) {
        delegate.publish(r);
      }
      long d = dropped.get();
      if (d != reported && queue.isEmpty()) {
        LogRecord lost =
            new LogRecord(
                Level.WARNING,
                (d - reported)
                    + " log line(s) dropped: the console did not keep up ("
                    + d
                    + " since start)");
        lost.setLoggerName(AsyncLogHandler.class.getName());
        delegate.publish(lost);
        reported = d;
      }
      if (r == null) {
        if (closed) {
          return;
        }
        delegate.flush();
      }
    }
  }

  @Override
  public void flush() {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
    while (!queue.isEmpty() && System.nanoTime() - until < 0 && writer.isAlive()) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    delegate.flush();
  }

  @Override
  public void close() {
    flush();
    closed = true;
    try {
      writer.join(CLOSE_WAIT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    delegate.close();
  }
}
