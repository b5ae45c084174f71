package io.lineinspect.sim;

import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersResponse;
import com.digitalpetri.modbus.pdu.WriteMultipleCoilsRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleCoilsResponse;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersResponse;
import com.digitalpetri.modbus.pdu.WriteSingleCoilRequest;
import com.digitalpetri.modbus.pdu.WriteSingleCoilResponse;
import com.digitalpetri.modbus.server.ModbusRequestContext;
import com.digitalpetri.modbus.server.ModbusServices;
import com.digitalpetri.modbus.server.ModbusTcpServer;
import com.digitalpetri.modbus.tcp.server.NettyTcpServerTransport;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The far end of the demo line: a simulated PLC (a Modbus TCP server on loopback, in this JVM)
 * whose coils drive reject pushers. It records when each coil switches on, on its own clock; its
 * {@link GateRecord} then {@link GateRecord#judge judges} physically which parts left the belt.
 * {@link RejectGateProcess} runs one in a process of its own.
 *
 * <p>With {@link #acceptOrders} it is also a PLC that times the strokes itself ({@code firing:
 * plc}, protocol in {@code docs/actuators.md}): it takes each order the service writes into its
 * order rings, acknowledges it, refuses (and counts) an order that arrives after its due time, and
 * fires the pusher at the order's due time on its own {@code sim-plc-strokes} thread (a park until
 * {@value #SPIN_NS} ns before, then a spin), as a PLC's own cycle would. The host's wall clock is
 * the PLC's clock (same machine). A stroke is recorded like a coil's rising edge.
 *
 * <p>Threads: Modbus requests arrive on the server's Netty threads; strokes fire on {@code
 * sim-plc-strokes}. The stroke thread never takes a lock: it gets its orders and hands its strokes
 * over through lock-free queues (a lock held by a preempted normal-priority thread would delay a
 * {@code SCHED_FIFO} stroke: Java monitors do not inherit priority). Everything else shared is
 * guarded by this object's lock.
 */
public final class SimulatedRejectGate implements RejectGate {
  /** The stroke timer spins, instead of sleeping, for the last this many ns before a due time. */
  static final long SPIN_NS = 200_000;

  /** Order protocol: registers per order slot and header; slots per camera ring. */
  private static final int BLOCK = 16;

  private static final int SLOTS = 8;
  private static final int AREA = BLOCK + SLOTS * BLOCK;
  static final int RESULT_TAKEN = 1;
  static final int RESULT_LATE = 2;

  private final ModbusTcpServer server;
  private final int port;
  private final Map<Integer, TreeSet<Long>> risingEdgesUs = new HashMap<>();
  private final Map<Integer, Boolean> coils = new HashMap<>();
  private final int[] registers = new int[65_536];

  /** Orders taken, on their way to the stroke thread: {dueUs, coil}. */
  private final ConcurrentLinkedQueue<long[]> incoming = new ConcurrentLinkedQueue<>();

  /** Strokes fired, on their way to the record: {coil, firedUs, errorUs}. */
  private final ConcurrentLinkedQueue<long[]> fired = new ConcurrentLinkedQueue<>();

  /** Orders taken and not yet fired. */
  private final AtomicInteger unfired = new AtomicInteger();

  private final List<Long> strokeErrorsUs = new ArrayList<>();
  private long registerWrites;
  private int ordersAddress = -1;
  private int cameraSlots;
  private int firstCoil;
  private long ordersTaken;
  private long ordersLate;
  private final List<String> lateOrders = new ArrayList<>();
  private Thread strokeThread;
  private int realtimePriority;
  private volatile String strokeThreadRealtime = "normal priority";
  private volatile boolean running = true;

  private SimulatedRejectGate(int port) throws IOException {
    this.port = port;
    NettyTcpServerTransport transport =
        NettyTcpServerTransport.create(cfg -> cfg.setBindAddress("127.0.0.1").setPort(port));
    server = ModbusTcpServer.create(transport, new Services());
  }

  /** Starts a gate on a free loopback port. */
  public static SimulatedRejectGate start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    SimulatedRejectGate gate = new SimulatedRejectGate(port);
    try {
      gate.server.start();
    } catch (Exception e) {
      throw new IOException("simulated PLC could not listen on 127.0.0.1:" + port, e);
    }
    return gate;
  }

  @Override
  public int port() {
    return port;
  }

  /**
   * Runs the PLC side of {@code firing: plc}: order areas of {@code cameraSlots} camera slots from
   * {@code ordersAddress}; camera slot {@code s}'s pusher is coil {@code firstCoil + s}. An order
   * is refused when it arrives after its due time (the PLC never fires late: the part in front of
   * the pusher by then is another one).
   */
  public synchronized SimulatedRejectGate acceptOrders(
      int ordersAddress, int cameraSlots, int firstCoil) {
    return acceptOrders(ordersAddress, cameraSlots, firstCoil, 0);
  }

  /**
   * Like {@link #acceptOrders(int, int, int)}; with {@code realtimePriority} 1..99 the stroke
   * thread asks for {@code SCHED_FIFO} at that priority (best effort, see {@link
   * GateRecord#strokeThreadRealtime}): a real PLC's cycle does not share its CPU with inference,
   * this one does.
   */
  @Override
  public synchronized SimulatedRejectGate acceptOrders(
      int ordersAddress, int cameraSlots, int firstCoil, int realtimePriority) {
    this.realtimePriority = realtimePriority;
    if (strokeThread != null) {
      throw new IllegalStateException("orders already accepted");
    }
    this.ordersAddress = ordersAddress;
    this.cameraSlots = cameraSlots;
    this.firstCoil = firstCoil;
    strokeThread = new Thread(this::strokes, "sim-plc-strokes");
    strokeThread.setDaemon(true);
    strokeThread.setPriority(Thread.MAX_PRIORITY);
    strokeThread.start();
    return this;
  }

  /** Waits (at most {@code timeoutMs}) until every stroke taken has fired; what it saw so far. */
  @Override
  public GateRecord awaitStrokes(long timeoutMs) throws InterruptedException {
    long until = System.nanoTime() + timeoutMs * 1_000_000L;
    while (System.nanoTime() - until < 0) {
      if (unfired.get() == 0) {
        break;
      }
      Thread.sleep(2);
    }
    return record();
  }

  /** What the gate saw so far. */
  public synchronized GateRecord record() {
    drainFired();
    Map<Integer, TreeSet<Long>> edges = new TreeMap<>();
    risingEdgesUs.forEach((coil, e) -> edges.put(coil, new TreeSet<>(e)));
    return new GateRecord(
        edges,
        List.copyOf(strokeErrorsUs),
        ordersTaken,
        ordersLate,
        List.copyOf(lateOrders),
        strokeThreadRealtime,
        registerWrites);
  }

  /** Holding registers {@code address … address + count − 1}, as a PLC's watch table shows them. */
  public synchronized int[] registers(int address, int count) {
    int[] r = new int[count];
    for (int i = 0; i < count; i++) {
      r[i] = registers[(address + i) & 0xFFFF];
    }
    return r;
  }

  /** Forgets the coil edges and register writes seen so far (a warm-up's traffic). */
  synchronized void forgetWarmUp() {
    drainFired();
    risingEdgesUs.clear();
    coils.clear();
    registerWrites = 0;
  }

  @Override
  public String where() {
    return "in this process";
  }

  /** A register write landed: when it completes an order slot, the PLC's scan takes the order. */
  private void registersWritten(int address, int quantity) {
    if (ordersAddress < 0) {
      return;
    }
    for (int reg = address; reg < address + quantity; reg++) {
      int off = reg - ordersAddress;
      if (off < 0 || off >= AREA * cameraSlots) {
        continue;
      }
      int inArea = off % AREA;
      // The order's sequence number is its slot's last register: the order is complete.
      if (inArea >= BLOCK && inArea % BLOCK == BLOCK - 1) {
        takeOrder(off / AREA, inArea / BLOCK - 1);
      }
    }
  }

  private void takeOrder(int slot, int k) {
    int area = ordersAddress + slot * AREA;
    int base = area + BLOCK * (1 + k);
    int seq = registers[base + 15];
    if (seq == registers[area + k]) {
      return; // already handled
    }
    long dueUs = u64(base);
    long now = epochMicros();
    if (now - dueUs > 0) {
      ordersLate++;
      if (lateOrders.size() < 20) {
        lateOrders.add(slot + ":" + u64(base + 8));
      }
      registers[area + SLOTS + k] = RESULT_LATE;
    } else {
      ordersTaken++;
      unfired.incrementAndGet();
      incoming.add(new long[] {dueUs, firstCoil + slot});
      LockSupport.unpark(strokeThread);
      registers[area + SLOTS + k] = RESULT_TAKEN;
    }
    registers[area + k] = seq; // the acknowledgement, after the result
  }

  private long u64(int reg) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v = v << 16 | registers[reg + i];
    }
    return v;
  }

  /** The PLC's stroke timer: fires each stroke at its due time, parking, then spinning. */
  private void strokes() {
    if (realtimePriority > 0) {
      String why =
          io.lineinspect.core.actuate.RealtimePriority.applyToCallingThread(realtimePriority);
      strokeThreadRealtime =
          why == null ? "SCHED_FIFO " + realtimePriority : "normal priority (" + why + ")";
    }
    long offsetNs = epochMicros() * 1_000 - System.nanoTime();
    long refreshedNs = System.nanoTime();
    PriorityQueue<long[]> due = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    while (running) {
      for (long[] o = incoming.poll(); o != null; o = incoming.poll()) {
        due.add(o);
      }
      long[] next = due.peek();
      long now = System.nanoTime();
      if (now - refreshedNs > 1_000_000_000L) {
        offsetNs = epochMicros() * 1_000 - System.nanoTime();
        refreshedNs = now;
      }
      if (next == null) {
        LockSupport.parkNanos(1_000_000L);
        continue;
      }
      long dueNs = next[0] * 1_000 - offsetNs;
      long wait = dueNs - now;
      if (wait > SPIN_NS) {
        LockSupport.parkNanos(wait - SPIN_NS);
        continue; // an earlier stroke may have arrived meanwhile
      }
      while (dueNs - System.nanoTime() > 0) {
        Thread.onSpinWait();
      }
      long firedUs = epochMicros();
      due.poll();
      fired.add(new long[] {next[1], firedUs, firedUs - next[0]});
      unfired.decrementAndGet();
    }
  }

  /** Moves the strokes fired so far into the record; under this object's lock. */
  private void drainFired() {
    for (long[] f = fired.poll(); f != null; f = fired.poll()) {
      risingEdgesUs.computeIfAbsent((int) f[0], a -> new TreeSet<>()).add(f[1]);
      strokeErrorsUs.add(f[2]);
    }
  }

  private static long epochMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private synchronized void coil(int address, boolean on) {
    long now = epochMicros();
    boolean was = coils.getOrDefault(address, false);
    if (on && !was) {
      risingEdgesUs.computeIfAbsent(address, a -> new TreeSet<>()).add(now);
    }
    coils.put(address, on);
  }

  @Override
  public void close() {
    running = false;
    try {
      server.stop();
    } catch (Exception e) {
      // stopping anyway
    }
  }

  private final class Services implements ModbusServices {
    @Override
    public WriteSingleCoilResponse writeSingleCoil(
        ModbusRequestContext context, int unitId, WriteSingleCoilRequest request) {
      coil(request.address(), request.value() != 0);
      return new WriteSingleCoilResponse(request.address(), request.value());
    }

    @Override
    public WriteMultipleCoilsResponse writeMultipleCoils(
        ModbusRequestContext context, int unitId, WriteMultipleCoilsRequest request) {
      byte[] values = request.values();
      for (int i = 0; i < request.quantity(); i++) {
        coil(request.address() + i, (values[i / 8] >> (i % 8) & 1) != 0);
      }
      return new WriteMultipleCoilsResponse(request.address(), request.quantity());
    }

    @Override
    public WriteMultipleRegistersResponse writeMultipleRegisters(
        ModbusRequestContext context, int unitId, WriteMultipleRegistersRequest request) {
      synchronized (SimulatedRejectGate.this) {
        registerWrites++;
        byte[] v = request.values();
        int a = request.address();
        for (int i = 0; i < request.quantity() && a + i < registers.length; i++) {
          registers[a + i] = (v[2 * i] & 0xFF) << 8 | v[2 * i + 1] & 0xFF;
        }
        registersWritten(a, request.quantity());
      }
      return new WriteMultipleRegistersResponse(request.address(), request.quantity());
    }

    @Override
    public ReadHoldingRegistersResponse readHoldingRegisters(
        ModbusRequestContext context, int unitId, ReadHoldingRegistersRequest request) {
      byte[] out = new byte[request.quantity() * 2];
      synchronized (SimulatedRejectGate.this) {
        for (int i = 0; i < request.quantity(); i++) {
          int v = registers[(request.address() + i) & 0xFFFF];
          out[2 * i] = (byte) (v >>> 8);
          out[2 * i + 1] = (byte) v;
        }
      }
      return new ReadHoldingRegistersResponse(out);
    }
  }
}
