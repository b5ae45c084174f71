package io.lineinspect.plant;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.lineinspect.core.audit.AuditLog;
import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.audit.ImageArchive;
import io.lineinspect.core.inference.ModelInfo;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes one line's audit chain (every verdict and reject outcome, with its chain hash), its
 * alarms, model events and FAIL images to the plant's Kafka, with store-and-forward: observe-only,
 * it never changes, blocks or delays a verdict.
 *
 * <pre>
 *  audit-writer ──onChained──▶ ring (queueSize, never waits; full = counted gap)
 *  archive-writer, model-lifecycle ──▶ event queue (4096, never waits)
 *        │ kafka-spool: envelope → Spool.append (disk; full = counted gap, alarm)
 *        ▼ kafka-sender: Spool.next → KafkaProducer.send (idempotent, acks=all, retried until
 *                         delivered) → callback → contiguous prefix acknowledged → Spool cursor
 * </pre>
 *
 * <p>Records are appended to the spool before they are sent, so a broker that is away (or a
 * restart) loses nothing; records are sent in spool order, and per partition (per camera) Kafka
 * keeps that order (idempotence, at most 5 requests in flight). A send the producer gave up on
 * replaces the producer and sends again from the acknowledged cursor: at-least-once, duplicates
 * carry the same audit chain hash. At start the exporter exports the audit lines written after the
 * last one it had spooled ({@link #KafkaExporter catch-up}), so a service killed between the audit
 * write and the spool write leaves no hole.
 *
 * <p>Threads: {@code kafka-spool} and {@code kafka-sender} (both daemon). Every public method is
 * thread-safe and non-blocking except {@link #close()}.
 */
public final class KafkaExporter
    implements AuditLog.ChainListener, ImageArchive.SavedListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KafkaExporter.class.getName());

  /** Kafka's own client logs a warning per reconnect while a broker is away: ours says it once. */
  private static final java.util.logging.Logger KAFKA_LOG =
      java.util.logging.Logger.getLogger("org.apache.kafka");

  static {
    if (KAFKA_LOG.getLevel() == null) {
      KAFKA_LOG.setLevel(java.util.logging.Level.SEVERE);
    }
  }

  private static final int IN_FLIGHT = 1 << 14;
  private static final long OUTAGE_AFTER_NS = TimeUnit.SECONDS.toNanos(3);
  private static final long WATCH_EVERY_NS = TimeUnit.MILLISECONDS.toNanos(200);

  private final KafkaExportConfig config;
  private final String lineId;
  private final String boot;
  private final LongSupplier epochMicros;
  private final Spool spool;
  private final String[] topics = new String[3];
  private final byte[] lineKey;
  private final RingBuffer<Slot> ring;
  private final EventPoller<Slot> poller;
  private final ArrayBlockingQueue<Object> events = new ArrayBlockingQueue<>(4096);
  private final AtomicLong eventSeq = new AtomicLong();
  private final Thread spoolThread;
  private final Thread senderThread;
  private final MessageDigest sha256;
  private volatile boolean running = true;
  private volatile boolean sending = true;

  private final LongAdder exported = new LongAdder();
  private final LongAdder spooled = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder queueDropped = new LongAdder();
  private final LongAdder sendFailures = new LongAdder();
  private final LongAdder caughtUp = new LongAdder();
  private final AtomicLong firstDropUs = new AtomicLong();
  private final AtomicLong lastDropUs = new AtomicLong();
  private volatile String lastError;
  private volatile boolean alarm;
  private volatile boolean outage;
  private volatile long lastAckNs = System.nanoTime();
  private volatile long lastOutageMs = -1;
  private volatile long lastOutageRecords = -1;
  private volatile long lastOutagePeakBytes = -1;
  private volatile long lastDrainMs = -1;

  // kafka-spool thread only
  private long gapRecords;
  private long gapFromUs;
  private long gapToUs;
  private String gapCause;
  private long queueDropsRecorded;
  private boolean full;
  private long lastWatchNs;
  private final List<Watch> watches = new java.util.concurrent.CopyOnWriteArrayList<>();

  // kafka-sender thread only (and the producer's callbacks through inFlightDone)
  private final long[] endSegment = new long[IN_FLIGHT];
  private final long[] endOffset = new long[IN_FLIGHT];
  private final AtomicIntegerArray inFlightDone = new AtomicIntegerArray(IN_FLIGHT);
  private long sendSeq;
  private long ackSeq;
  private volatile int generation;
  private volatile Exception failure;
  private long outageStartNs;
  private long outagePeakBytes;
  private long outageRecords;
  private long drainStartNs;

  /** One audit line waiting for the spool writer: a copy of the bytes (grown, then reused). */
  private static final class Slot {
    byte[] bytes = new byte[1024];
    int length;
    String prev;
  }

  private record ImageSaved(String camera, long frame, long captureUs, Path file, long atUs) {}

  private record Event(byte kind, byte[] key, byte[] value) {}

  /** A polled alarm state (a camera or key → active), turned into alarm events on changes. */
  private static final class Watch {
    final String alarm;
    final Supplier<Map<String, Boolean>> states;
    final Map<String, Boolean> last = new HashMap<>();

    Watch(String alarm, Supplier<Map<String, Boolean>> states) {
      this.alarm = alarm;
      this.states = states;
    }
  }

  /**
   * Opens the spool (resuming where the last run stopped), exports the audit lines written after
   * the last spooled one ({@code auditDir}, before the audit trail opens its new segment), and
   * starts the threads. Creates no connection yet: a broker that is away is not an error.
   *
   * @param spoolDir the spool directory (resolved {@code kafka.spoolDir})
   * @param auditDir the audit trail's directory, or null for no catch-up
   * @throws IOException when the spool directory cannot be created, read or written
   */
  public KafkaExporter(
      KafkaExportConfig config,
      String lineId,
      Path spoolDir,
      Path auditDir,
      LongSupplier epochMicros)
      throws IOException {
    this.config = config;
    this.lineId = lineId;
    this.epochMicros = epochMicros;
    this.boot = HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong()));
    for (int i = 0; i < 3; i++) {
      topics[i] =
          KafkaExportConfig.topic(config.topicPrefix(), lineId, PlantRecords.TOPIC_KINDS[i]);
    }
    this.lineKey = lineId.getBytes(StandardCharsets.UTF_8);
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.spool = new Spool(spoolDir, config.spoolMaxBytes(), config.fsyncIntervalMs());
    if (spool.records() > 0) {
      LOG.log(
          Level.INFO,
          "kafka: {0} records ({1} bytes) in the spool from before the restart are sent first",
          String.valueOf(spool.records()),
          String.valueOf(spool.bytes()));
    }
    if (auditDir != null) {
      catchUp(auditDir);
    }
    spool.flush();
    this.ring =
        RingBuffer.createMultiProducer(Slot::new, config.queueSize(), new YieldingWaitStrategy());
    this.poller = ring.newPoller();
    ring.addGatingSequences(poller.getSequence());
    spoolThread = new Thread(this::runSpool, "kafka-spool");
    spoolThread.setDaemon(true);
    senderThread = new Thread(this::runSender, "kafka-sender");
    senderThread.setDaemon(true);
    spoolThread.start();
    senderThread.start();
    LOG.log(
        Level.INFO,
        "kafka: exporting line {0} to {1} (topics {2}, {3}, {4}); spool {5}, at most {6} bytes",
        lineId,
        config.bootstrapServers(),
        topics[0],
        topics[1],
        topics[2],
        spoolDir,
        String.valueOf(config.spoolMaxBytes()));
  }

  private static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (56 - 8 * i));
    }
    return b;
  }

  /** The topic names of this line: verdicts, events, images. */
  public List<String> topics() {
    return List.of(topics);
  }

  // ---------------------------------------------------------------- feeding (any thread)

  @Override
  public void onChained(String prevHash, byte[] line, int offset, int length) {
    long seq;
    try {
      seq = ring.tryNext();
    } catch (InsufficientCapacityException e) {
      queueDropped.increment();
      long now = epochMicros.getAsLong();
      firstDropUs.compareAndSet(0, now);
      lastDropUs.set(now);
      return;
    }
    try {
      Slot s = ring.get(seq);
      if (s.bytes.length < length) {
        s.bytes = new byte[Math.max(length, s.bytes.length * 2)];
      }
      System.arraycopy(line, offset, s.bytes, 0, length);
      s.length = length;
      s.prev = prevHash;
    } finally {
      ring.publish(seq);
    }
  }

  @Override
  public void onSaved(String camera, long frame, long captureUs, boolean fail, Path file) {
    if (!fail || config.images().equals("none")) {
      return;
    }
    offer(new ImageSaved(camera, frame, captureUs, file, epochMicros.getAsLong()));
  }

  /**
   * A model event: {@code served} (the model at start), {@code activation}, {@code rollback},
   * {@code refusal}, {@code drift-alarm}, {@code drift-cleared}.
   *
   * @param model the model concerned (the candidate for a refusal), or null
   * @param outcome the operation's outcome ({@code ACTIVATED}, {@code REFUSED} …), or null
   * @param message what happened, or null
   */
  public void modelEvent(String event, ModelInfo model, String outcome, String message) {
    long atUs = epochMicros.getAsLong();
    long seq = eventSeq.incrementAndGet();
    byte[] v =
        PlantRecords.event(
            "model",
            lineId,
            boot,
            seq,
            atUs,
            g -> {
              g.writeStringField("event", event);
              PlantRecords.stringOrNull(g, "model", model == null ? null : model.name());
              PlantRecords.stringOrNull(g, "version", model == null ? null : model.version());
              PlantRecords.stringOrNull(g, "sha256", model == null ? null : model.sha256());
              PlantRecords.stringOrNull(g, "outcome", outcome);
              PlantRecords.stringOrNull(g, "message", message);
            });
    offer(new Event(PlantRecords.EVENTS, lineKey, v));
  }

  /** An alarm raised or cleared ({@code camera} null for the line as a whole). */
  public void alarm(String alarm, String camera, boolean raised, String detail) {
    long atUs = epochMicros.getAsLong();
    long seq = eventSeq.incrementAndGet();
    byte[] v =
        PlantRecords.event(
            "alarm",
            lineId,
            boot,
            seq,
            atUs,
            g -> {
              g.writeStringField("alarm", alarm);
              g.writeStringField("state", raised ? "raised" : "cleared");
              PlantRecords.stringOrNull(g, "cam", camera);
              PlantRecords.stringOrNull(g, "detail", detail);
            });
    offer(
        new Event(
            PlantRecords.EVENTS,
            camera == null ? lineKey : camera.getBytes(StandardCharsets.UTF_8),
            v));
  }

  /**
   * Polls {@code states} (key → active; a camera id, or {@code line}) about five times a second on
   * the exporter's thread and sends an alarm event on every change.
   */
  public void watch(String alarm, Supplier<Map<String, Boolean>> states) {
    watches.add(new Watch(alarm, states));
  }

  private void offer(Object o) {
    if (!running || !events.offer(o)) {
      queueDropped.increment();
      long now = epochMicros.getAsLong();
      firstDropUs.compareAndSet(0, now);
      lastDropUs.set(now);
    }
  }

  // ---------------------------------------------------------------- catch-up

  /** Spools the audit lines written after the last one spooled before the stop. */
  private void catchUp(Path auditDir) throws IOException {
    String last = spool.chainEnd();
    List<Path> segments =
        Files.isDirectory(auditDir) ? AuditVerifier.segments(auditDir) : List.of();
    if (last == null || segments.isEmpty()) {
      return;
    }
    int from = -1;
    int fromLine = -1;
    List<byte[]> contents = new ArrayList<>();
    for (int i = segments.size() - 1; i >= 0 && from < 0; i--) {
      byte[] b = Files.readAllBytes(segments.get(i));
      contents.add(0, b);
      int idx = indexOfLineWithHash(b, last);
      if (idx >= 0) {
        from = i;
        fromLine = idx;
      }
    }
    if (from < 0) {
      LOG.log(
          Level.WARNING,
          "kafka: the audit line spooled last ({0}) is no longer in {1}: export continues with new"
              + " lines; the plant sees a break in the chain",
          last,
          auditDir);
      return;
    }
    String prev = last;
    long n = 0;
    for (int c = 0; c < contents.size(); c++) {
      byte[] b = contents.get(c);
      int start = c == 0 ? fromLine : 0;
      for (int end; start < b.length; start = end + 1) {
        end = indexOf(b, (byte) '\n', start);
        if (end < 0) {
          break; // a torn last line: not part of the chain
        }
        PlantRecords.LineInfo info = PlantRecords.lineInfo(b, start, end - start);
        if (info == null) {
          break;
        }
        if (c == 0 && start == fromLine) {
          continue; // the line spooled last itself
        }
        spoolLine(prev, b, start, end - start, info);
        prev = info.hash();
        n++;
      }
    }
    caughtUp.add(n);
    if (n > 0) {
      LOG.log(
          Level.INFO,
          "kafka: {0} audit lines written after the last spooled one were spooled at start",
          String.valueOf(n));
    }
  }

  private static int indexOfLineWithHash(byte[] b, String hash) {
    byte[] needle = ("\"hash\":\"" + hash + "\"}\n").getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + needle.length <= b.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b[i + j] != needle[j]) {
          continue outer;
        }
      }
      int start = i;
      while (start > 0 && b[start - 1] != '\n') {
        start--;
      }
      return start;
    }
    return -1;
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- kafka-spool thread

  private void runSpool() {
    EventPoller.Handler<Slot> handler =
        (s, seq, end) -> {
          PlantRecords.LineInfo info = PlantRecords.lineInfo(s.bytes, 0, s.length);
          if (info == null) {
            LOG.log(Level.WARNING, "kafka: an audit line could not be read; not exported");
          } else {
            spoolLine(s.prev, s.bytes, 0, s.length, info);
          }
          s.prev = null;
          return true;
        };
    while (running || poller.getSequence().get() < ring.getCursor() || !events.isEmpty()) {
      boolean busy = false;
      try {
        busy = poller.poll(handler) == EventPoller.PollState.PROCESSING;
        Object e;
        while ((e = events.poll()) != null) {
          busy = true;
          spoolEvent(e);
        }
        pollWatches();
        spool.flush();
        checkFill();
      } catch (Exception | LinkageError e) {
        error("spool", e);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
      if (!busy) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  private void spoolLine(String prev, byte[] b, int off, int len, PlantRecords.LineInfo info) {
    String type = PlantRecords.recordType(info.type());
    byte[] value = PlantRecords.chainRecord(type, lineId, prev, b, off, len);
    byte kind = type.equals("verdict") ? PlantRecords.VERDICTS : PlantRecords.EVENTS;
    byte[] key = info.camera() == null ? lineKey : info.camera().getBytes(StandardCharsets.UTF_8);
    if (append(kind, key, value, epochMicros.getAsLong())) {
      spool.chainEnd(info.hash());
    }
  }

  private void spoolEvent(Object e) throws IOException {
    if (e instanceof Event ev) {
      append(ev.kind(), ev.key(), ev.value(), epochMicros.getAsLong());
    } else if (e instanceof ImageSaved im) {
      byte[] data;
      try {
        data = Files.readAllBytes(im.file());
      } catch (IOException gone) {
        data = null; // evicted already: the reference stays, without its digest
      }
      String digest = data == null ? null : HexFormat.of().formatHex(sha256.digest(data));
      byte[] bytes = data;
      boolean inline =
          data != null
              && config.images().equals("inline")
              && data.length <= config.imageInlineMaxBytes();
      byte[] v =
          PlantRecords.event(
              "image",
              lineId,
              boot,
              eventSeq.incrementAndGet(),
              im.atUs(),
              g -> {
                g.writeStringField("cam", im.camera());
                g.writeNumberField("frame", im.frame());
                g.writeNumberField("captureUs", im.captureUs());
                g.writeStringField("path", im.file().toString());
                PlantRecords.stringOrNull(g, "sha256", digest);
                g.writeNumberField("bytes", bytes == null ? -1 : bytes.length);
                if (inline) {
                  g.writeStringField("data", Base64.getEncoder().encodeToString(bytes));
                }
              });
      append(PlantRecords.IMAGES, im.camera().getBytes(StandardCharsets.UTF_8), v, im.atUs());
    }
  }

  /**
   * Appends one record, after the gap record owed for records refused before; a refused record is
   * counted into the gap. Returns whether the record is in the spool.
   */
  private boolean append(byte kind, byte[] key, byte[] value, long atUs) {
    long drops = queueDropped.sum() - queueDropsRecorded;
    if (drops > 0) {
      queueDropsRecorded += drops;
      addGap(drops, firstDropUs.getAndSet(0), lastDropUs.get(), "queue-full");
    }
    try {
      if (gapRecords > 0) {
        long n = gapRecords;
        long from = gapFromUs;
        long to = gapToUs;
        String cause = gapCause;
        byte[] gap =
            PlantRecords.event(
                "gap",
                lineId,
                boot,
                eventSeq.incrementAndGet(),
                epochMicros.getAsLong(),
                g -> {
                  g.writeNumberField("records", n);
                  g.writeNumberField("fromUs", from);
                  g.writeNumberField("toUs", to);
                  g.writeStringField("cause", cause);
                });
        if (!spool.append(PlantRecords.EVENTS, lineKey, gap, 0, gap.length)) {
          refuse(atUs);
          return false;
        }
        spooled.increment();
        LOG.log(
            Level.WARNING,
            "kafka: {0} records were not exported ({1}); recorded as a gap (the audit trail on this"
                + " box has them)",
            String.valueOf(n),
            cause);
        gapRecords = 0;
        gapCause = null;
      }
      if (!spool.append(kind, key, value, 0, value.length)) {
        refuse(atUs);
        return false;
      }
      spooled.increment();
      if (full) {
        full = false;
        LOG.log(Level.WARNING, "kafka: the spool has room again");
      }
      return true;
    } catch (IOException e) {
      error("spool write", e);
      refuse(atUs);
      return false;
    }
  }

  private void refuse(long atUs) {
    refused.increment();
    addGap(1, atUs, atUs, "spool-full");
    if (!full) {
      full = true;
      alarm = true;
      LOG.log(
          Level.ERROR,
          "kafka: SPOOL FULL ({0} bytes, kafka.spoolMaxBytes) while the broker is unreachable: new"
              + " records are not exported (counted, and recorded as a gap when there is room);"
              + " the line and its audit trail go on",
          String.valueOf(spool.bytes()));
    }
  }

  private void addGap(long n, long fromUs, long toUs, String cause) {
    if (gapRecords == 0) {
      gapFromUs = fromUs;
      gapCause = cause;
    } else if (!cause.equals(gapCause)) {
      gapCause = gapCause + "," + cause;
    }
    gapRecords += n;
    gapToUs = Math.max(gapToUs, toUs);
  }

  private void pollWatches() {
    long now = System.nanoTime();
    if (now - lastWatchNs < WATCH_EVERY_NS) {
      return;
    }
    lastWatchNs = now;
    for (Watch w : watches) {
      Map<String, Boolean> states;
      try {
        states = w.states.get();
      } catch (RuntimeException e) {
        continue;
      }
      states.forEach(
          (k, active) -> {
            Boolean before = w.last.put(k, active);
            if (before == null ? active : before != active.booleanValue()) {
              alarm(w.alarm, k.equals("line") ? null : k, active, null);
            }
          });
    }
  }

  private void checkFill() {
    long percent = spool.bytes() * 100 / config.spoolMaxBytes();
    boolean over = percent >= config.spoolAlarmPercent() || full;
    if (over != alarm) {
      alarm = over;
      if (over) {
        LOG.log(
            Level.WARNING,
            "kafka: spool {0} % full ({1} records, {2} bytes; alarm at kafka.spoolAlarmPercent {3}"
                + " %): the broker has been unreachable",
            String.valueOf(percent),
            String.valueOf(spool.records()),
            String.valueOf(spool.bytes()),
            String.valueOf(config.spoolAlarmPercent()));
      } else {
        LOG.log(Level.INFO, "kafka: spool below its alarm level again ({0} %)", percent);
      }
      alarm("kafka-spool", null, over, percent + " % of kafka.spoolMaxBytes");
    }
  }

  // ---------------------------------------------------------------- kafka-sender thread

  private KafkaProducer<byte[], byte[]> newProducer() {
    Properties p = new Properties();
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "lineinspect-" + lineId);
    p.putAll(config.producer());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.RETRIES_CONFIG, String.valueOf(Integer.MAX_VALUE));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Integer.MAX_VALUE));
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void runSender() {
    KafkaProducer<byte[], byte[]> producer = null;
    long closingUntilNs = 0;
    while (true) {
      try {
        if (!sending) {
          if (closingUntilNs == 0) {
            closingUntilNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
          }
          if (System.nanoTime() - closingUntilNs > 0
              || (ackSeq == sendSeq && spool.next() == null)) {
            break;
          }
        }
        if (producer == null) {
          producer = newProducer();
        }
        if (failure != null) {
          Exception f = failure;
          error("send", f);
          sendFailures.increment();
          producer.close(Duration.ZERO);
          producer = null;
          generation++;
          failure = null;
          for (long s = ackSeq; s < sendSeq; s++) {
            inFlightDone.set((int) (s & (IN_FLIGHT - 1)), 0);
          }
          sendSeq = ackSeq;
          spool.rewind();
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
          continue;
        }
        acknowledge();
        trackOutage();
        if (sendSeq - ackSeq >= IN_FLIGHT) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        Spool.Entry e = spool.next();
        if (e == null) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
          continue;
        }
        int slot = (int) (sendSeq & (IN_FLIGHT - 1));
        int gen = generation;
        try {
          producer.send(
              new ProducerRecord<>(topics[e.kind], e.key, e.value),
              (md, ex) -> {
                if (gen != generation) {
                  return;
                }
                if (ex == null) {
                  inFlightDone.set(slot, 1);
                } else {
                  failure = ex;
                }
              });
        } catch (KafkaException ex) {
          // Metadata unavailable or the producer's buffer full within max.block.ms: the broker is
          // away. The record stays at the read position.
          lastError = ex.toString();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
          continue;
        }
        endSegment[slot] = e.segment;
        endOffset[slot] = e.end;
        sendSeq++;
        spool.advance(e);
      } catch (Exception | LinkageError t) {
        error("sender", t);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    }
    if (producer != null) {
      try {
        producer.close(Duration.ofSeconds(1));
      } catch (RuntimeException ignored) {
        // closing anyway
      }
      try {
        acknowledge();
      } catch (IOException e) {
        error("sender", e);
      }
    }
  }

  private void acknowledge() throws IOException {
    long n = 0;
    long seg = 0;
    long off = 0;
    while (ackSeq < sendSeq) {
      int i = (int) (ackSeq & (IN_FLIGHT - 1));
      if (inFlightDone.get(i) != 1) {
        break;
      }
      inFlightDone.set(i, 0);
      seg = endSegment[i];
      off = endOffset[i];
      ackSeq++;
      n++;
    }
    if (n > 0) {
      spool.acknowledge(seg, off, n);
      exported.add(n);
      lastAckNs = System.nanoTime();
    }
  }

  /** Notices an outage (records waiting, nothing acknowledged for 3 s) and its end. */
  private void trackOutage() {
    long now = System.nanoTime();
    long waiting = spool.records();
    if (!outage) {
      if (waiting > 0 && now - lastAckNs > OUTAGE_AFTER_NS) {
        outage = true;
        outageStartNs = lastAckNs;
        outagePeakBytes = spool.bytes();
        outageRecords = 0;
        drainStartNs = 0;
        LOG.log(
            Level.WARNING,
            "kafka: broker {0} unreachable (nothing acknowledged for {1} s): records are kept in"
                + " the spool and sent when it returns{2}",
            config.bootstrapServers(),
            String.valueOf(TimeUnit.NANOSECONDS.toSeconds(now - lastAckNs)),
            lastError == null ? "" : " (" + lastError + ")");
      }
      return;
    }
    outagePeakBytes = Math.max(outagePeakBytes, spool.bytes());
    outageRecords = Math.max(outageRecords, waiting);
    if (drainStartNs == 0 && now - lastAckNs < OUTAGE_AFTER_NS) {
      drainStartNs = lastAckNs;
    }
    if (drainStartNs != 0 && waiting == 0) {
      outage = false;
      lastOutageMs = TimeUnit.NANOSECONDS.toMillis(drainStartNs - outageStartNs);
      lastDrainMs = TimeUnit.NANOSECONDS.toMillis(now - drainStartNs);
      lastOutageRecords = outageRecords;
      lastOutagePeakBytes = outagePeakBytes;
      LOG.log(
          Level.INFO,
          "kafka: broker reachable again after {0} ms: {1} records spooled ({2} bytes at most),"
              + " drained in {3} ms",
          String.valueOf(lastOutageMs),
          String.valueOf(lastOutageRecords),
          String.valueOf(lastOutagePeakBytes),
          String.valueOf(lastDrainMs));
    }
  }

  private final Map<String, Long> errorsSeen = new java.util.concurrent.ConcurrentHashMap<>();

  private void error(String where, Throwable e) {
    lastError = e.toString();
    String k = where + ":" + e.getClass().getName();
    long n = errorsSeen.merge(k, 1L, Long::sum);
    if (Long.bitCount(n) == 1) { // 1st, 2nd, 4th, …
      LOG.log(Level.WARNING, "kafka: {0} failed ({1}. time): {2}", where, n, e.toString());
    }
  }

  // ---------------------------------------------------------------- state (any thread)

  /** Records the broker acknowledged since start. */
  public long exported() {
    return exported.sum();
  }

  /** Records written to the spool since start (catch-up included). */
  public long spooled() {
    return spooled.sum();
  }

  /** Records not exported because the spool was full (recorded as gaps). */
  public long refused() {
    return refused.sum();
  }

  /** Records not exported because the exporter's queue was full (recorded as gaps). */
  public long queueDropped() {
    return queueDropped.sum();
  }

  /** Times the producer failed and was replaced (the records were sent again). */
  public long sendFailures() {
    return sendFailures.sum();
  }

  /** Audit lines spooled at start from the audit trail (written after the last spooled one). */
  public long caughtUp() {
    return caughtUp.sum();
  }

  /** Bytes the spool takes on disk. */
  public long spoolBytes() {
    return spool.bytes();
  }

  /** Records in the spool not yet acknowledged by the broker. */
  public long spoolRecords() {
    return spool.records();
  }

  /** True while the spool is at or above {@code kafka.spoolAlarmPercent}, or full. */
  public boolean alarmActive() {
    return alarm;
  }

  /** True while the broker is considered unreachable (records waiting, no acknowledgement 3 s). */
  public boolean outage() {
    return outage;
  }

  /**
   * The last outage that ended: its length, the most records and bytes spooled during it and how
   * long the spool took to drain once the broker was back; -1 when none ended yet.
   */
  public long[] lastOutage() {
    return new long[] {lastOutageMs, lastOutageRecords, lastOutagePeakBytes, lastDrainMs};
  }

  public String lastError() {
    return lastError;
  }

  /**
   * Waits (at most {@code timeoutMs}) until everything spooled is acknowledged; returns whether it
   * got there. For tests and the demo's summary.
   */
  public boolean awaitDrained(long timeoutMs) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (poller.getSequence().get() < ring.getCursor()
        || !events.isEmpty()
        || spool.records() > 0) {
      if (System.nanoTime() - until > 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return true;
  }

  /**
   * Stops: what is queued goes to the spool, what the broker takes within about 3 s is sent, the
   * rest stays in the spool for the next start. Call after the audit trail has closed.
   */
  @Override
  public void close() {
    running = false;
    join(spoolThread, 5_000);
    sending = false;
    join(senderThread, 6_000);
    try {
      spool.close();
    } catch (IOException e) {
      LOG.log(Level.ERROR, "kafka: the spool could not be closed cleanly: {0}", e.toString());
    }
    LOG.log(
        Level.INFO,
        "kafka: stopped; {0} records exported, {1} left in the spool for the next start{2}",
        String.valueOf(exported()),
        String.valueOf(spool.records()),
        refused() + queueDropped() > 0
            ? ", " + (refused() + queueDropped()) + " not exported (gaps)"
            : "");
  }

  private static void join(Thread t, long ms) {
    try {
      t.join(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static byte[] copy(byte[] b, int off, int len) {
    return Arrays.copyOfRange(b, off, off + len);
  }
}
