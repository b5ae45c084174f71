package io.lineinspect.camera.actuator;

import com.digitalpetri.modbus.ExceptionCode;
import com.digitalpetri.modbus.client.ModbusTcpClient;
import com.digitalpetri.modbus.exceptions.ModbusResponseException;
import com.digitalpetri.modbus.exceptions.ModbusTimeoutException;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteSingleCoilRequest;
import com.digitalpetri.modbus.tcp.client.NettyTcpClientTransport;
import io.lineinspect.core.actuate.ActuatorEvents;
import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectOrder;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A PLC over Modbus TCP (digitalpetri modbus-tcp): pulses a reject coil per FAIL part at its due
 * time ({@code pulseCoil + slot}, on for {@code pulseMs}) and/or writes every verdict into the
 * camera slot's block of holding registers (see {@code docs/actuators.md} for the register map).
 *
 * <p>Faults: a PLC that is unreachable or drops the connection makes every reject due meanwhile a
 * {@link MissCause#NOT_CONNECTED} miss (counted, logged, alarmed) while the output reconnects with
 * backoff; nothing is queued to be sent late. Exception responses are {@link
 * MissCause#WRITE_FAILED} with the Modbus exception code, unanswered writes {@link
 * MissCause#TIMEOUT}. On every (re)connect all reject coils are written OFF first, so a coil left
 * on by a lost OFF write cannot keep rejecting good parts.
 *
 * <p>{@code firing: plc}: every FAIL verdict becomes an <em>order</em> written at once (one
 * asynchronous Write Multiple Registers) into the next slot of its camera's ring of {@value
 * ModbusOutputConfig#ORDER_SLOTS} order slots, the order's sequence number in the slot's last
 * register; the PLC fires the stroke at the order's due time on its own clock and acknowledges each
 * order in the area's header (which this output polls every {@code ackPollMs} while orders are
 * outstanding). Taken → delivered; refused because it arrived after its due time → {@link
 * MissCause#LATE}; no acknowledgement within {@code ackTimeoutMs} → {@link MissCause#TIMEOUT}; a
 * slot whose order is still unacknowledged is never overwritten (the new order is {@link
 * MissCause#QUEUE_FULL}). Protocol: {@code docs/actuators.md}, "PLC-timed rejects".
 *
 * <p>Threads: {@link #onVerdict}/{@link #fire} on {@code reject-scheduler}; completions on the
 * Modbus library's Netty threads; pulse ends, acknowledgement polls and reconnects on {@code
 * actuator-<name>}. The outstanding orders are shared between them under {@code orders}' lock (a
 * few field updates per order: nothing waits on I/O while holding it).
 */
public final class ModbusOutput implements ActuatorOutput {
  private static final System.Logger LOG = System.getLogger(ModbusOutput.class.getName());
  private static final int MAX_SLOTS = 256;

  private final ModbusOutputConfig config;
  private final String name;
  private final String target;
  private final ScheduledExecutorService timer;
  private final Backoff backoff;
  private final AtomicLongArray pulseGeneration = new AtomicLongArray(MAX_SLOTS);
  private final int[] verdictCounter = new int[MAX_SLOTS];
  private final AtomicBoolean alarmPending = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final byte[] block = new byte[ModbusOutputConfig.REGISTER_BLOCK * 2];
  private final byte[] orderBlock = new byte[ModbusOutputConfig.ORDER_BLOCK * 2];
  private final Orders orders;
  private volatile ModbusTcpClient client;
  private volatile boolean connected;
  private volatile boolean closed;
  private volatile boolean alarmCoilSet;
  private ActuatorEvents events;

  public ModbusOutput(ModbusOutputConfig config) {
    this.config = config;
    this.name = config.name();
    this.target = config.host() + ":" + config.port() + " unit " + config.unitId();
    this.backoff = new Backoff(config.reconnectMinMs(), config.reconnectMaxMs());
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "actuator-" + config.name());
              t.setDaemon(true);
              t.setPriority(Thread.MAX_PRIORITY);
              return t;
            });
    this.orders = config.plcFiring() ? new Orders() : null;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(ActuatorEvents events) {
    this.events = events;
    timer.execute(this::connect);
    if (orders != null) {
      timer.scheduleWithFixedDelay(
          this::pollAcks, config.ackPollMs(), config.ackPollMs(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * One connection attempt, on the output's timer thread. Whatever it throws is counted and the
   * next attempt scheduled: a timer task that threw would otherwise be swallowed by the executor
   * and the output would never reconnect.
   */
  private void connect() {
    if (closed) {
      return;
    }
    try {
      attemptConnect();
    } catch (RuntimeException | LinkageError e) {
      events.problem(name, "connection attempt to " + target + " failed: " + e);
      connected = false;
      timer.schedule(this::connect, backoff.next(), TimeUnit.MILLISECONDS);
    }
  }

  private void attemptConnect() {
    NettyTcpClientTransport transport =
        NettyTcpClientTransport.create(
            cfg ->
                cfg.setHostname(config.host())
                    .setPort(config.port())
                    .setConnectTimeout(Duration.ofMillis(config.connectTimeoutMs()))
                    .setConnectPersistent(false)
                    .setReconnectLazy(false));
    ModbusTcpClient c =
        ModbusTcpClient.create(
            transport, cfg -> cfg.setRequestTimeout(Duration.ofMillis(config.requestTimeoutMs())));
    AtomicBoolean ended = new AtomicBoolean();
    transport.addConnectionListener(
        new NettyTcpClientTransport.ConnectionListener() {
          @Override
          public void onConnection() {}

          @Override
          public void onConnectionLost() {
            if (ended.compareAndSet(false, true)) {
              lost(c, "connection to " + target + " lost");
            }
          }
        });
    c.connectAsync()
        .whenComplete(
            (ok, ex) -> {
              if (ex != null) {
                if (ended.compareAndSet(false, true)) {
                  lost(c, "cannot connect to " + target + ": " + rootMessage(ex));
                }
              } else {
                up(c);
              }
            });
  }

  private synchronized void up(ModbusTcpClient c) {
    if (closed) {
      c.disconnectAsync();
      return;
    }
    client = c;
    backoff.reset();
    alarmCoilSet = false; // a restarted PLC has lost it
    connected = true;
    events.connection(name, true, "to " + target);
    // Safe state first: every reject coil OFF, then the alarm coil if an alarm is pending. Sent
    // from this output's thread, not from inside the connect completion (requests sent there
    // were answered before the client knew them: "No pending request for response frame").
    timer.execute(
        () -> {
          if (config.pulse()) {
            for (int slot : slots()) {
              int coil = coil(slot);
              c.writeSingleCoilAsync(config.unitId(), new WriteSingleCoilRequest(coil, false))
                  .whenComplete(
                      (r, ex) -> {
                        if (ex != null) {
                          events.problem(
                              name,
                              "coil " + coil + " not reset OFF on connect: " + rootMessage(ex));
                        }
                      });
            }
          }
          if (orders != null) {
            orders.sync(c);
          }
          if (alarmPending.get()) {
            writeAlarm();
          }
        });
  }

  /** Called once per connection attempt, when it failed or its connection ended. */
  private synchronized void lost(ModbusTcpClient c, String why) {
    boolean was = connected && client == c;
    connected = false;
    client = null;
    if (orders != null) {
      orders.ready = false;
    }
    if (closed) {
      return;
    }
    events.connection(name, false, why);
    c.disconnectAsync();
    long delay = backoff.next();
    if (!was) {
      LOG.log(Level.DEBUG, "actuator {0}: {1}; retrying in {2} ms", name, why, delay);
    }
    timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private int[] slots() {
    if (config.cameras().isEmpty()) {
      return new int[] {0};
    }
    return config.cameras().values().stream().mapToInt(Integer::intValue).distinct().toArray();
  }

  private int coil(int slot) {
    return config.pulseCoil() + slot;
  }

  @Override
  public boolean timesRejects() {
    return orders != null;
  }

  @Override
  public void onVerdict(RejectOrder o) {
    if (orders != null && o.isReject()) {
      orders.send(o);
    }
    if (config.registerAddress() == null) {
      return;
    }
    int slot = config.slotOf(o.cameraId());
    ModbusTcpClient c = client;
    if (slot < 0 || !connected || c == null) {
      if (!config.pulse() && orders == null && o.isReject()) {
        events.missed(
            name,
            slot < 0 ? MissCause.UNMAPPED_CAMERA : MissCause.NOT_CONNECTED,
            o.cameraId(),
            o.sequence(),
            slot < 0 ? "no slot for camera " + o.cameraId() : target);
      }
      return;
    }
    fillBlock(o, ++verdictCounter[slot] & 0xFFFF);
    String camera = o.cameraId();
    long sequence = o.sequence();
    boolean reject = o.isReject() && !config.pulse() && orders == null;
    int address = config.registerAddress() + slot * ModbusOutputConfig.REGISTER_BLOCK;
    inFlight.incrementAndGet();
    c.writeMultipleRegistersAsync(
            config.unitId(),
            new WriteMultipleRegistersRequest(
                address, ModbusOutputConfig.REGISTER_BLOCK, block.clone()))
        .whenComplete(
            (r, ex) -> {
              inFlight.decrementAndGet();
              if (ex != null) {
                if (reject) {
                  failed(ex, camera, sequence, "registers at " + address);
                } else {
                  events.problem(
                      name,
                      "verdict registers of "
                          + camera
                          + "#"
                          + sequence
                          + " at "
                          + address
                          + " not written: "
                          + rootMessage(ex));
                }
              }
            });
  }

  /** Encodes the verdict's register block (nothing is sent): the warm-up's dry run. */
  @Override
  public void dryRun(RejectOrder o) {
    fillBlock(o, 0);
  }

  /** The register block of one verdict; layout in {@code docs/actuators.md}. */
  private void fillBlock(RejectOrder o, int counter) {
    java.util.Arrays.fill(block, (byte) 0);
    putU16(0, counter);
    long seq = o.sequence();
    for (int i = 0; i < 4; i++) {
      putU16(1 + i, (int) (seq >>> (48 - 16 * i)));
    }
    putU16(5, o.isReject() ? 1 : 0);
    putU16(6, o.reason().code());
    putU16(7, Float.isNaN(o.score()) ? 0xFFFF : Math.round(o.score() * 10_000));
    putU16(8, (o.hasEncoderCount() ? 1 : 0) | (o.timedFromCapture() ? 2 : 0));
    long gate = o.hasEncoderCount() ? o.encoderCount() + config.encoderOffset() : 0;
    for (int i = 0; i < 4; i++) {
      putU16(9 + i, (int) (gate >>> (48 - 16 * i)));
    }
    long fireMs = o.fireAtEpochUs() / 1_000;
    for (int i = 0; i < 3; i++) {
      putU16(13 + i, (int) (fireMs >>> (32 - 16 * i)));
    }
  }

  private void putU16(int register, int value) {
    putU16(block, register, value);
  }

  private static void putU16(byte[] into, int register, int value) {
    into[register * 2] = (byte) (value >>> 8);
    into[register * 2 + 1] = (byte) value;
  }

  private static void putU64(byte[] into, int register, long value) {
    for (int i = 0; i < 4; i++) {
      putU16(into, register + i, (int) (value >>> (48 - 16 * i)));
    }
  }

  private static int u16(byte[] from, int register) {
    return (from[register * 2] & 0xFF) << 8 | from[register * 2 + 1] & 0xFF;
  }

  /** Every order's acknowledgement poll and time-out, on the output's timer thread. */
  private void pollAcks() {
    try {
      orders.poll();
    } catch (RuntimeException | LinkageError e) {
      events.problem(name, "acknowledgement poll failed: " + e);
    }
  }

  @Override
  public void fire(RejectOrder o) {
    if (!config.pulse() || orders != null) {
      return;
    }
    int slot = config.slotOf(o.cameraId());
    if (slot < 0) {
      events.missed(
          name, MissCause.UNMAPPED_CAMERA, o.cameraId(), o.sequence(), "cameras has no entry");
      return;
    }
    ModbusTcpClient c = client;
    if (!connected || c == null) {
      events.missed(name, MissCause.NOT_CONNECTED, o.cameraId(), o.sequence(), target);
      return;
    }
    events.fired(name);
    int coil = coil(slot);
    long generation = pulseGeneration.incrementAndGet(slot);
    long fireAtNs = o.fireAtNs();
    String camera = o.cameraId();
    long sequence = o.sequence();
    inFlight.incrementAndGet();
    c.writeSingleCoilAsync(config.unitId(), new WriteSingleCoilRequest(coil, true))
        .whenComplete(
            (r, ex) -> {
              inFlight.decrementAndGet();
              if (ex != null) {
                failed(ex, camera, sequence, "coil " + coil + " ON");
              } else {
                events.delivered(name, camera, sequence, RejectTiming.latenessUs(fireAtNs));
              }
            });
    // Pulses closer than pulseMs merge: only the latest pulse's end switches the coil off.
    timer.schedule(() -> pulseEnd(slot, generation), config.pulseMs(), TimeUnit.MILLISECONDS);
  }

  private void pulseEnd(int slot, long generation) {
    if (pulseGeneration.get(slot) != generation) {
      return;
    }
    ModbusTcpClient c = client;
    if (c == null) {
      return; // the (re)connect writes every coil OFF
    }
    int coil = coil(slot);
    c.writeSingleCoilAsync(config.unitId(), new WriteSingleCoilRequest(coil, false))
        .whenComplete(
            (r, ex) -> {
              if (ex != null && !closed) {
                events.problem(
                    name,
                    "coil "
                        + coil
                        + " could not be switched OFF ("
                        + rootMessage(ex)
                        + "); retrying");
                timer.schedule(() -> pulseEnd(slot, generation), 20, TimeUnit.MILLISECONDS);
              }
            });
  }

  private void failed(Throwable ex, String camera, long sequence, String what) {
    Throwable cause = root(ex);
    MissCause miss = MissCause.WRITE_FAILED;
    String detail;
    if (cause instanceof ModbusTimeoutException
        || cause instanceof java.util.concurrent.TimeoutException) {
      miss = MissCause.TIMEOUT;
      detail = what + ": no answer within " + config.requestTimeoutMs() + " ms";
    } else if (cause instanceof ModbusResponseException r) {
      detail =
          what
              + ": PLC answered with exception "
              + r.getExceptionCode()
              + ExceptionCode.from(r.getExceptionCode()).map(c -> " (" + c + ")").orElse("");
    } else {
      detail = what + ": " + rootMessage(ex);
    }
    events.missed(name, miss, camera, sequence, detail);
  }

  @Override
  public void alarm(MissCause cause, String partId) {
    if (config.alarmCoil() == null) {
      return;
    }
    if (alarmPending.compareAndSet(false, true) && connected) {
      writeAlarm();
    }
  }

  /** Sets the alarm coil, like a missed reject does; written again on every call. */
  @Override
  public void healthAlarm(String problem) {
    alarm(null, problem);
  }

  private void writeAlarm() {
    ModbusTcpClient c = client;
    if (c == null) {
      return;
    }
    int coil = config.alarmCoil();
    c.writeSingleCoilAsync(config.unitId(), new WriteSingleCoilRequest(coil, true))
        .whenComplete(
            (r, ex) -> {
              if (ex == null) {
                alarmPending.set(false);
                if (!alarmCoilSet) {
                  alarmCoilSet = true;
                  LOG.log(Level.WARNING, "actuator {0}: alarm coil {1} set", name, coil);
                }
              } else {
                events.problem(
                    name, "alarm coil " + coil + " could not be set: " + rootMessage(ex));
              }
            });
  }

  /** Connected, and with {@code firing: plc} the acknowledgements read: orders can be written. */
  @Override
  public boolean connected() {
    return connected && (orders == null || orders.ready);
  }

  /**
   * Waits for the writes in flight (their outcomes are counted), switches every reject coil OFF — a
   * pulse cut short by the shutdown must not leave a coil on while the service is down — then
   * disconnects.
   */
  @Override
  public void close() {
    if (orders != null) {
      // The outcome of every order handed over is counted before the books close: acknowledged,
      // or timed out by the poll that still runs on the timer.
      long ackUntil =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.ackTimeoutMs() + 50L);
      while (orders.outstanding() > 0 && System.nanoTime() - ackUntil < 0) {
        LockSupport.parkNanos(1_000_000L);
      }
    }
    closed = true;
    long until =
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs() + 200L);
    while (inFlight.get() > 0 && System.nanoTime() - until < 0) {
      LockSupport.parkNanos(1_000_000L);
    }
    timer.shutdownNow();
    ModbusTcpClient c = client;
    boolean wasConnected = connected;
    connected = false;
    client = null;
    if (c != null) {
      if (wasConnected && config.pulse()) {
        for (int slot : slots()) {
          try {
            c.writeSingleCoil(config.unitId(), new WriteSingleCoilRequest(coil(slot), false));
          } catch (Exception e) {
            LOG.log(
                Level.WARNING,
                "actuator {0}: coil {1} not switched OFF at shutdown: {2}",
                name,
                coil(slot),
                rootMessage(e));
          }
        }
      }
      try {
        c.disconnectAsync().toCompletableFuture().get(1, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.DEBUG, "actuator {0}: disconnect: {1}", name, e.getMessage());
      }
    }
  }

  /**
   * The order rings of {@code firing: plc}, one per camera slot: what was written where, which
   * orders wait for the PLC's acknowledgement. Sending runs on {@code reject-scheduler}, polling
   * and syncing on {@code actuator-<name>}, acknowledgements arrive on Netty threads: every field
   * is guarded by this object's lock.
   */
  private final class Orders {
    private static final int SLOTS = ModbusOutputConfig.ORDER_SLOTS;
    private final int[] nextSeq = new int[MAX_SLOTS];
    private final int[][] seq = new int[MAX_SLOTS][SLOTS];
    private final boolean[][] active = new boolean[MAX_SLOTS][SLOTS];
    private final String[][] camera = new String[MAX_SLOTS][SLOTS];
    private final long[][] frame = new long[MAX_SLOTS][SLOTS];
    private final long[][] sentNs = new long[MAX_SLOTS][SLOTS];
    private final long[][] dueNs = new long[MAX_SLOTS][SLOTS];
    private final AtomicBoolean[] reading = new AtomicBoolean[MAX_SLOTS];
    private final int[] mapped = slots();
    private final long ackTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.ackTimeoutMs());
    private int outstanding;

    /** Set once the acknowledgements were read after a connect: orders may be written. */
    volatile boolean ready;

    Orders() {
      java.util.Arrays.fill(nextSeq, 1);
      for (int i = 0; i < MAX_SLOTS; i++) {
        reading[i] = new AtomicBoolean();
      }
    }

    synchronized int outstanding() {
      return outstanding;
    }

    /**
     * After a (re)connect, on the timer thread: reads each area's acknowledgements and moves each
     * ring's next sequence number to where none of the next {@value #SLOTS} orders carries the
     * number its slot already acknowledged (the PLC would take it for an old order).
     */
    void sync(ModbusTcpClient c) {
      for (int slot : mapped) {
        int area = config.orderArea(slot);
        byte[] header;
        try {
          header =
              c.readHoldingRegisters(
                      config.unitId(),
                      new ReadHoldingRegistersRequest(area, ModbusOutputConfig.ORDER_BLOCK))
                  .registers();
        } catch (Exception e) {
          // Until they are read no order is written (each is a NOT_CONNECTED miss): try again
          // soon on this connection (a cold PLC or JVM can miss the first request's timeout).
          events.problem(
              name,
              "order acknowledgements at "
                  + area
                  + " not readable after connecting ("
                  + rootMessage(e)
                  + "); retrying in "
                  + SYNC_RETRY_MS
                  + " ms");
          if (!closed && client == c) {
            timer.schedule(() -> resync(c), SYNC_RETRY_MS, TimeUnit.MILLISECONDS);
          }
          return;
        }
        synchronized (this) {
          int s = nextSeq[slot];
          for (int tries = 0; tries < 65_536 / SLOTS && collides(s, header); tries++) {
            s = (s + SLOTS) & 0xFFFF;
          }
          nextSeq[slot] = s;
        }
      }
      ready = true;
    }

    private void resync(ModbusTcpClient c) {
      if (!closed && client == c && connected) {
        sync(c);
      }
    }

    private boolean collides(int start, byte[] header) {
      for (int i = 0; i < SLOTS; i++) {
        int n = (start + i) & 0xFFFF;
        if (u16(header, n % SLOTS) == n) {
          return true;
        }
      }
      return false;
    }

    /** Writes one FAIL verdict's order; on {@code reject-scheduler}, never blocks. */
    void send(RejectOrder o) {
      int slot = config.slotOf(o.cameraId());
      if (slot < 0) {
        events.missed(
            name, MissCause.UNMAPPED_CAMERA, o.cameraId(), o.sequence(), "cameras has no entry");
        return;
      }
      ModbusTcpClient c = client;
      if (!connected || !ready || c == null) {
        events.missed(name, MissCause.NOT_CONNECTED, o.cameraId(), o.sequence(), target);
        return;
      }
      int n;
      int k;
      synchronized (this) {
        n = nextSeq[slot];
        k = n % SLOTS;
        if (active[slot][k]) {
          int waiting = seq[slot][k];
          String part = camera[slot][k] + "#" + frame[slot][k];
          // Never overwrite an order the PLC has not taken: the new one is the miss.
          events.missed(
              name,
              MissCause.QUEUE_FULL,
              o.cameraId(),
              o.sequence(),
              "order slot "
                  + k
                  + " of camera slot "
                  + slot
                  + " still holds unacknowledged order "
                  + waiting
                  + " ("
                  + part
                  + ")");
          return;
        }
        nextSeq[slot] = (n + 1) & 0xFFFF;
        seq[slot][k] = n;
        active[slot][k] = true;
        camera[slot][k] = o.cameraId();
        frame[slot][k] = o.sequence();
        sentNs[slot][k] = System.nanoTime();
        dueNs[slot][k] = o.fireAtNs();
        outstanding++;
      }
      byte[] b = orderBlock;
      putU64(b, 0, o.fireAtEpochUs());
      putU64(b, 4, o.hasEncoderCount() ? o.encoderCount() + config.encoderOffset() : 0);
      putU64(b, 8, o.sequence());
      putU16(b, 12, o.reason().code());
      putU16(b, 13, Float.isNaN(o.score()) ? 0xFFFF : Math.round(o.score() * 10_000));
      putU16(b, 14, (o.hasEncoderCount() ? 1 : 0) | (o.timedFromCapture() ? 2 : 0));
      putU16(b, 15, n);
      int address = config.orderArea(slot) + ModbusOutputConfig.ORDER_BLOCK * (1 + k);
      String cam = o.cameraId();
      long part = o.sequence();
      events.fired(name);
      inFlight.incrementAndGet();
      c.writeMultipleRegistersAsync(
              config.unitId(),
              new WriteMultipleRegistersRequest(address, ModbusOutputConfig.ORDER_BLOCK, b.clone()))
          .whenComplete(
              (r, ex) -> {
                inFlight.decrementAndGet();
                if (ex != null && release(slot, k, n)) {
                  failed(ex, cam, part, "order " + n + " at " + address);
                }
              });
    }

    /** Frees slot {@code k} if it still holds order {@code n}; true when it did. */
    private synchronized boolean release(int slot, int k, int n) {
      if (active[slot][k] && seq[slot][k] == n) {
        active[slot][k] = false;
        outstanding--;
        return true;
      }
      return false;
    }

    /** On the timer: reads the acknowledgements of rings with orders outstanding, times out. */
    void poll() {
      ModbusTcpClient c = client;
      long now = System.nanoTime();
      for (int slot : mapped) {
        boolean any = false;
        synchronized (this) {
          for (int k = 0; k < SLOTS; k++) {
            if (!active[slot][k]) {
              continue;
            }
            if (now - sentNs[slot][k] > ackTimeoutNs) {
              active[slot][k] = false;
              outstanding--;
              events.missed(
                  name,
                  MissCause.TIMEOUT,
                  camera[slot][k],
                  frame[slot][k],
                  "the PLC did not acknowledge order "
                      + seq[slot][k]
                      + " within "
                      + config.ackTimeoutMs()
                      + " ms");
            } else {
              any = true;
            }
          }
        }
        if (any && c != null && connected && reading[slot].compareAndSet(false, true)) {
          int area = config.orderArea(slot);
          c.readHoldingRegistersAsync(
                  config.unitId(),
                  new ReadHoldingRegistersRequest(area, ModbusOutputConfig.ORDER_BLOCK))
              .whenComplete(
                  (r, ex) -> {
                    reading[slot].set(false);
                    if (ex != null) {
                      events.problem(
                          name,
                          "order acknowledgements at " + area + " not read: " + rootMessage(ex));
                    } else {
                      acknowledged(slot, r.registers());
                    }
                  });
        }
      }
    }

    /** The header of one area was read: settles every order it acknowledges. */
    private void acknowledged(int slot, byte[] header) {
      synchronized (this) {
        for (int k = 0; k < SLOTS; k++) {
          if (!active[slot][k] || u16(header, k) != seq[slot][k]) {
            continue;
          }
          active[slot][k] = false;
          outstanding--;
          int result = u16(header, SLOTS + k);
          String cam = camera[slot][k];
          long part = frame[slot][k];
          if (result == RESULT_TAKEN) {
            events.delivered(name, cam, part, RejectTiming.latenessUs(dueNs[slot][k]));
          } else if (result == RESULT_LATE) {
            events.missed(
                name,
                MissCause.LATE,
                cam,
                part,
                "the PLC refused order " + seq[slot][k] + ": it arrived after its due time");
          } else {
            events.missed(
                name,
                MissCause.WRITE_FAILED,
                cam,
                part,
                "the PLC refused order " + seq[slot][k] + " with result " + result);
          }
        }
      }
    }
  }

  /** Delay before the acknowledgements are read again when the read after a connect failed. */
  private static final long SYNC_RETRY_MS = 100;

  /** Header result code: the PLC took the order and will fire it at its due time. */
  static final int RESULT_TAKEN = 1;

  /** Header result code: the order arrived after its due time; not fired. */
  static final int RESULT_LATE = 2;

  /** Header result code: refused for another reason (its shift register full, bad data). */
  static final int RESULT_REFUSED = 3;

  static Throwable root(Throwable ex) {
    Throwable t = ex;
    while ((t instanceof CompletionException || t.getCause() != null && t != t.getCause())
        && t.getCause() != null
        && !(t instanceof ModbusResponseException)
        && !(t instanceof ModbusTimeoutException)) {
      t = t.getCause();
    }
    return t;
  }

  static String rootMessage(Throwable ex) {
    Throwable t = root(ex);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
