package io.lineinspect.actuator;

import com.digitalpetri.modbus.ExceptionCode;
import com.digitalpetri.modbus.client.ModbusTcpClient;
import com.digitalpetri.modbus.exceptions.ModbusResponseException;
import com.digitalpetri.modbus.exceptions.ModbusTimeoutException;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteSingleCoilRequest;
import com.digitalpetri.modbus.tcp.client.NettyTcpClientTransport;
import io.lineinspect.core.actuate.ActuatorEvents;
import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectOrder;
import io.lineinspect.core.config.ModbusOutputConfig;
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
 * <p>Threads: {@link #onVerdict}/{@link #fire} on {@code reject-scheduler}; completions on the
 * Modbus library's Netty threads; pulse ends and reconnects on {@code actuator-<name>}.
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
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(ActuatorEvents events) {
    this.events = events;
    timer.execute(this::connect);
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
  public void onVerdict(RejectOrder o) {
    if (config.registerAddress() == null) {
      return;
    }
    int slot = config.slotOf(o.cameraId());
    ModbusTcpClient c = client;
    if (slot < 0 || !connected || c == null) {
      if (!config.pulse() && o.isReject()) {
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
    boolean reject = o.isReject() && !config.pulse();
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
    block[register * 2] = (byte) (value >>> 8);
    block[register * 2 + 1] = (byte) value;
  }

  @Override
  public void fire(RejectOrder o) {
    if (!config.pulse()) {
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

  @Override
  public boolean connected() {
    return connected;
  }

  /**
   * Waits for the writes in flight (their outcomes are counted), switches every reject coil OFF — a
   * pulse cut short by the shutdown must not leave a coil on while the service is down — then
   * disconnects.
   */
  @Override
  public void close() {
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
