package io.lineinspect.plant;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The exporter's store-and-forward log on disk: every record bound for Kafka is appended here first
 * (by the {@code kafka-spool} thread) and read back in order by the {@code kafka-sender} thread,
 * which moves the acknowledged cursor once the broker has the record. Records behind the cursor are
 * deleted a segment at a time; a restart resumes at the cursor (records sent but not yet
 * acknowledged when the service stopped are sent again: duplicates a consumer recognises by their
 * audit chain hash).
 *
 * <p>Files in {@code dir}: {@code spool-<n>.log} segments of records
 *
 * <pre>
 *  0        4        8     9       11          11+k
 *  +--------+--------+-----+-------+-----------+----------------+
 *  | length | CRC32C | kind| keyLen| key bytes | value bytes    |
 *  +--------+--------+-----+-------+-----------+----------------+
 *   int BE   of the body (length bytes from offset 8)
 * </pre>
 *
 * {@code cursor} (the first record not acknowledged: {@code <segment> <offset>}) and {@code chain}
 * (the hash of the last audit line spooled). A torn record at the end of the newest segment (the
 * service stopped inside a write) is cut off at open.
 *
 * <p>Bounded: beyond {@code maxBytes} (whole segment files) {@link #append} refuses the record and
 * returns false; the caller counts and reports it. Never deletes a record that was not
 * acknowledged. Thread-safe: every method holds the spool's lock briefly (one record's I/O).
 */
final class Spool implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Spool.class.getName());
  static final int HEADER = 8;
  private static final String PREFIX = "spool-";
  private static final String SUFFIX = ".log";
  private static final long CURSOR_EVERY_NS = TimeUnit.MILLISECONDS.toNanos(200);

  /** One record read back: its kind (topic), key, value and where it ends. */
  static final class Entry {
    byte kind;
    byte[] key;
    byte[] value;
    long segment;
    long start;
    long end;
  }

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final long fsyncIntervalNs;
  private final TreeMap<Long, Long> sizes = new TreeMap<>();
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
  private long totalBytes;
  private long records;
  private FileChannel out;
  private long outSegment;
  private long outSize;
  private long lastForceNs = System.nanoTime();
  private FileChannel in;
  private long inSegment = -1;
  private long readSegment;
  private long readOffset;
  private long ackSegment;
  private long ackOffset;
  private boolean cursorDirty;
  private long lastCursorNs;
  private String chainEnd;
  private boolean chainDirty;
  private long corrupt;
  private boolean closed;

  /**
   * Opens the spool in {@code dir} (created), resuming at its cursor.
   *
   * @throws IOException when the directory cannot be created or read
   */
  Spool(Path dir, long maxBytes, int fsyncIntervalMs) throws IOException {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = Math.max(64 << 10, Math.min(16L << 20, maxBytes / 8));
    this.fsyncIntervalNs = TimeUnit.MILLISECONDS.toNanos(fsyncIntervalMs);
    Files.createDirectories(dir);
    List<Long> found = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(PREFIX) && n.endsWith(SUFFIX))
          .forEach(n -> found.add(Long.parseLong(n, PREFIX.length(), n.length() - 4, 10)));
    }
    found.sort(null);
    long[] cursor = readCursor();
    for (long n : found) {
      if (cursor != null && n < cursor[0]) {
        Files.deleteIfExists(path(n)); // acknowledged before the stop
      } else {
        sizes.put(n, Files.size(path(n)));
      }
    }
    if (!sizes.isEmpty()) {
      long last = sizes.lastKey();
      long valid = scan(last, 0, Long.MAX_VALUE)[1];
      if (valid < sizes.get(last)) {
        LOG.log(
            Level.WARNING,
            "kafka spool: {0} ends with a torn record ({1} bytes cut off; the service stopped"
                + " inside a write)",
            path(last),
            String.valueOf(sizes.get(last) - valid));
        try (FileChannel c = FileChannel.open(path(last), StandardOpenOption.WRITE)) {
          c.truncate(valid);
        }
        sizes.put(last, valid);
      }
    }
    if (cursor != null && sizes.containsKey(cursor[0])) {
      ackSegment = cursor[0];
      ackOffset = Math.min(cursor[1], sizes.get(cursor[0]));
    } else {
      ackSegment = sizes.isEmpty() ? 1 : sizes.firstKey();
      ackOffset = 0;
    }
    for (Map.Entry<Long, Long> e : sizes.entrySet()) {
      totalBytes += e.getValue();
      if (e.getKey() >= ackSegment) {
        records += scan(e.getKey(), e.getKey() == ackSegment ? ackOffset : 0, Long.MAX_VALUE)[0];
      }
    }
    readSegment = ackSegment;
    readOffset = ackOffset;
    outSegment = sizes.isEmpty() ? Math.max(1, ackSegment) : sizes.lastKey() + 1;
    openOut();
    try {
      chainEnd = Files.readString(dir.resolve("chain"), StandardCharsets.US_ASCII).trim();
      if (!chainEnd.matches("[0-9a-f]{64}")) {
        chainEnd = null;
      }
    } catch (NoSuchFileException e) {
      chainEnd = null;
    }
  }

  private Path path(long segment) {
    return dir.resolve(String.format(Locale.ROOT, "%s%012d%s", PREFIX, segment, SUFFIX));
  }

  private long[] readCursor() throws IOException {
    try {
      String[] p =
          Files.readString(dir.resolve("cursor"), StandardCharsets.US_ASCII).trim().split(" ");
      return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
    } catch (NoSuchFileException e) {
      return null;
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "kafka spool: unreadable cursor ({0}); resending from the oldest", e);
      return null;
    }
  }

  /** Records and the offset of the end of the last whole record, from {@code from}. */
  private long[] scan(long segment, long from, long limit) throws IOException {
    long n = 0;
    long at = from;
    try (FileChannel c = FileChannel.open(path(segment), StandardOpenOption.READ)) {
      long size = c.size();
      ByteBuffer h = ByteBuffer.allocate(HEADER);
      while (at + HEADER <= size && n < limit) {
        h.clear();
        readFully(c, h, at);
        int len = h.getInt(0);
        int sum = h.getInt(4);
        if (len < 3 || at + HEADER + len > size) {
          break;
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        readFully(c, body, at + HEADER);
        crc.reset();
        crc.update(body.array(), 0, len);
        if ((int) crc.getValue() != sum) {
          break;
        }
        at += HEADER + len;
        n++;
      }
    }
    return new long[] {n, at};
  }

  private static void readFully(FileChannel c, ByteBuffer b, long at) throws IOException {
    while (b.hasRemaining()) {
      int r = c.read(b, at + b.position());
      if (r < 0) {
        throw new IOException("unexpected end of spool segment");
      }
    }
    b.flip();
  }

  private void openOut() throws IOException {
    out =
        FileChannel.open(path(outSegment), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    outSize = 0;
    sizes.put(outSegment, 0L);
  }

  /**
   * Appends one record (buffered until {@link #flush}); false, with nothing written, when it would
   * take the spool beyond its bound.
   *
   * @throws IOException when the disk refuses the write (the record is not in the spool)
   */
  synchronized boolean append(byte kind, byte[] key, byte[] value, int offset, int length)
      throws IOException {
    int body = 3 + key.length + length;
    int rec = HEADER + body;
    if (totalBytes + rec > maxBytes) {
      return false;
    }
    if (outSize + buf.position() + rec > segmentBytes && outSize + buf.position() > 0) {
      rotate();
    }
    if (rec > buf.remaining()) {
      flushBuffer();
    }
    if (rec > buf.capacity()) {
      ByteBuffer big = ByteBuffer.allocate(rec);
      put(big, kind, key, value, offset, length);
      big.flip();
      while (big.hasRemaining()) {
        out.write(big);
      }
      outSize += rec;
    } else {
      put(buf, kind, key, value, offset, length);
    }
    totalBytes += rec;
    records++;
    sizes.merge(outSegment, (long) rec, Long::sum);
    return true;
  }

  private void put(ByteBuffer b, byte kind, byte[] key, byte[] value, int offset, int length) {
    int start = b.position();
    b.putInt(3 + key.length + length).putInt(0);
    b.put(kind).putShort((short) key.length).put(key).put(value, offset, length);
    crc.reset();
    crc.update(b.array(), start + HEADER, b.position() - start - HEADER);
    b.putInt(start + 4, (int) crc.getValue());
  }

  private void rotate() throws IOException {
    flushBuffer();
    out.force(false);
    out.close();
    outSegment++;
    openOut();
  }

  private void flushBuffer() throws IOException {
    buf.flip();
    int n = buf.remaining();
    try {
      while (buf.hasRemaining()) {
        out.write(buf);
      }
      outSize += n;
    } finally {
      buf.clear();
    }
  }

  /**
   * Writes what is buffered (the sender can read it from now on), forcing it to disk when {@code
   * fsyncIntervalMs} has passed, and the chain end when it moved.
   */
  synchronized void flush() throws IOException {
    if (closed) {
      return;
    }
    if (buf.position() > 0) {
      flushBuffer();
      long now = System.nanoTime();
      if (now - lastForceNs >= fsyncIntervalNs) {
        out.force(false);
        lastForceNs = now;
      }
    }
    long now = System.nanoTime();
    if (chainDirty && now - lastCursorNs >= CURSOR_EVERY_NS) {
      writeSmall("chain", chainEnd);
      chainDirty = false;
    }
    if (cursorDirty && now - lastCursorNs >= CURSOR_EVERY_NS) {
      writeSmall("cursor", ackSegment + " " + ackOffset);
      cursorDirty = false;
      lastCursorNs = now;
    }
  }

  private void writeSmall(String name, String text) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    Files.writeString(tmp, text + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  /** The hash of the last audit line spooled (persisted with {@link #flush}), or null. */
  synchronized String chainEnd() {
    return chainEnd;
  }

  synchronized void chainEnd(String hash) {
    chainEnd = hash;
    chainDirty = true;
  }

  /**
   * The record at the read position, or null when the sender has read everything written so far;
   * does not move the read position ({@link #advance}).
   */
  synchronized Entry next() throws IOException {
    while (!closed) {
      long end = readSegment == outSegment ? outSize : sizes.getOrDefault(readSegment, -1L);
      if (end < 0) {
        Long higher = sizes.higherKey(readSegment);
        if (higher == null) {
          return null;
        }
        readSegment = higher;
        readOffset = 0;
        continue;
      }
      if (readOffset + HEADER <= end) {
        Entry e = read(readSegment, readOffset, end);
        if (e != null) {
          return e;
        }
        corrupt++;
        LOG.log(
            Level.ERROR,
            "kafka spool: {0} is damaged at offset {1}: the rest of that segment cannot be sent",
            path(readSegment),
            String.valueOf(readOffset));
        readOffset = end; // skip the damaged rest of the segment
        continue;
      }
      if (readSegment == outSegment) {
        return null;
      }
      Long higher = sizes.higherKey(readSegment);
      if (higher == null) {
        return null;
      }
      readSegment = higher;
      readOffset = 0;
    }
    return null;
  }

  private Entry read(long segment, long at, long end) throws IOException {
    if (inSegment != segment) {
      if (in != null) {
        in.close();
      }
      in = FileChannel.open(path(segment), StandardOpenOption.READ);
      inSegment = segment;
    }
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    readFully(in, h, at);
    int len = h.getInt(0);
    if (len < 3 || at + HEADER + len > end) {
      return null;
    }
    ByteBuffer body = ByteBuffer.allocate(len);
    readFully(in, body, at + HEADER);
    crc.reset();
    crc.update(body.array(), 0, len);
    if ((int) crc.getValue() != h.getInt(4)) {
      return null;
    }
    Entry e = new Entry();
    e.kind = body.get();
    int k = body.getShort() & 0xFFFF;
    e.key = new byte[k];
    body.get(e.key);
    e.value = new byte[body.remaining()];
    body.get(e.value);
    e.segment = segment;
    e.start = at;
    e.end = at + HEADER + len;
    return e;
  }

  /** Moves the read position past {@code e} (it was handed to the producer). */
  synchronized void advance(Entry e) {
    readSegment = e.segment;
    readOffset = e.end;
  }

  /** Reads again from the acknowledged cursor (the producer lost what was in flight). */
  synchronized void rewind() {
    readSegment = ackSegment;
    readOffset = ackOffset;
  }

  /**
   * The broker has every record before {@code (segment, offset)}, {@code count} more than before:
   * moves the cursor and deletes the segments wholly behind it.
   */
  synchronized void acknowledge(long segment, long offset, long count) throws IOException {
    ackSegment = segment;
    ackOffset = offset;
    records -= count;
    cursorDirty = true;
    while (!sizes.isEmpty() && sizes.firstKey() < ackSegment && sizes.firstKey() != outSegment) {
      long first = sizes.firstKey();
      if (first == inSegment && in != null) {
        in.close();
        in = null;
        inSegment = -1;
      }
      Files.deleteIfExists(path(first));
      totalBytes -= sizes.remove(first);
    }
    if (ackSegment != outSegment
        && sizes.containsKey(ackSegment)
        && ackOffset >= sizes.get(ackSegment)
        && sizes.higherKey(ackSegment) != null) {
      // the cursor sits at the end of a finished segment: it moves to the next one
      long next = sizes.higherKey(ackSegment);
      ackSegment = next;
      ackOffset = 0;
      acknowledge(next, 0, 0);
    }
  }

  /** Bytes on disk (whole segment files, the buffered tail included). */
  synchronized long bytes() {
    return totalBytes;
  }

  /** Records not yet acknowledged by the broker. */
  synchronized long records() {
    return records;
  }

  long maxBytes() {
    return maxBytes;
  }

  /** Records found damaged (CRC) and skipped. */
  synchronized long corrupt() {
    return corrupt;
  }

  /** Writes and forces what is buffered, the cursor and the chain end; closes the files. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      if (buf.position() > 0) {
        flushBuffer();
      }
      out.force(false);
      if (chainEnd != null) {
        writeSmall("chain", chainEnd);
      }
      writeSmall("cursor", ackSegment + " " + ackOffset);
    } finally {
      closed = true;
      out.close();
      if (in != null) {
        in.close();
      }
    }
  }
}
