package io.lineinspect.camera.sim;

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
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * The far end of the demo line: a simulated PLC (an in-process Modbus TCP server on loopback) whose
 * coils drive reject pushers. It records when each coil switches on, on its own clock, and then
 * {@link #judge judges} physically which parts left the belt: a part is pushed off when its
 * camera's coil switches on while the part is in front of the pusher (its gate time ± a window).
 * Comparing that with the simulator's ground truth gives defects rejected, defects escaped and good
 * parts rejected — what the plant would count in the reject bin.
 *
 * <p>With {@link #acceptOrders} it is also a PLC that times the strokes itself ({@code firing:
 * plc}, protocol in {@code docs/actuators.md}): it takes each order the service writes into its
 * order rings, acknowledges it, refuses (and counts) an order that arrives after its due time, and
 * fires the pusher at the order's due time on its own {@code sim-plc-strokes} thread (a park until
 * {@value #SPIN_NS} ns before, then a spin), as a PLC's own cycle would. The host's wall clock is
 * the PLC's clock (same machine). A stroke is recorded like a coil's rising edge.
 *
 * <p>Threads: Modbus requests arrive on the server's Netty threads; strokes fire on {@code
 * sim-plc-strokes}; everything shared is guarded by this object's lock.
 */
public final class SimulatedRejectGate implements AutoCloseable {
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
  private final PriorityQueue<long[]> strokes =
      new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
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
   * #strokeThreadRealtime}): a real PLC's cycle does not share its CPU with inference, this one
   * does.
   */
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

  /** The stroke thread's scheduling: "SCHED_FIFO n", "normal priority" or why FIFO was refused. */
  public String strokeThreadRealtime() {
    return strokeThreadRealtime;
  }

  /** Orders the PLC took (acknowledged, stroke scheduled). */
  public synchronized long ordersTaken() {
    return ordersTaken;
  }

  /** Orders refused because they arrived after their due time (never fired). */
  public synchronized long ordersLate() {
    return ordersLate;
  }

  /** {@code camera-slot:frame-sequence} of the first late orders (at most 20). */
  public synchronized List<String> lateOrders() {
    return List.copyOf(lateOrders);
  }

  /** Each stroke fired from an order: its actual time minus its due time, µs. */
  public synchronized List<Long> strokeErrorsUs() {
    return List.copyOf(strokeErrorsUs);
  }

  /** Waits (at most {@code timeoutMs}) until every stroke taken has fired. */
  public void awaitStrokes(long timeoutMs) throws InterruptedException {
    long until = System.nanoTime() + timeoutMs * 1_000_000L;
    while (System.nanoTime() - until < 0) {
      synchronized (this) {
        if (strokes.isEmpty()) {
          return;
        }
      }
      Thread.sleep(2);
    }
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
      strokes.add(new long[] {dueUs, firstCoil + slot});
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
    while (running) {
      long[] next;
      synchronized (this) {
        next = strokes.peek();
      }
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
      synchronized (this) {
        strokes.remove(next);
        risingEdgesUs.computeIfAbsent((int) next[1], a -> new TreeSet<>()).add(firedUs);
        strokeErrorsUs.add(firedUs - next[0]);
      }
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

  /** Verdict register blocks written so far. */
  public synchronized long registerWrites() {
    return registerWrites;
  }

  /**
   * Which parts were pushed off the belt.
   *
   * @param parts the parts the cameras sent
   * @param coilOf camera id → its pusher's coil
   * @param travelUs capture → gate
   * @param windowUs a pusher switching on within ± this of a part's gate time pushes that part
   */
  public synchronized Outcome judge(
      List<SimStats.Part> parts, Map<String, Integer> coilOf, long travelUs, long windowUs) {
    long defectsRejected = 0;
    long defectsEscaped = 0;
    long goodRejected = 0;
    long goodPassed = 0;
    // Only the pushers' coils count (an alarm coil, say, pushes nothing).
    Map<Integer, TreeSet<Long>> unused = new HashMap<>();
    for (Integer coil : new java.util.HashSet<>(coilOf.values())) {
      unused.put(coil, new TreeSet<>(risingEdgesUs.getOrDefault(coil, new TreeSet<>())));
    }
    List<String> escapedExamples = new ArrayList<>();
    for (SimStats.Part p : parts) {
      Integer coil = coilOf.get(p.cameraId());
      TreeSet<Long> edges = coil == null ? null : risingEdgesUs.get(coil);
      long gate = p.captureUs() + travelUs;
      boolean pushed = false;
      if (edges != null) {
        Long e = edges.ceiling(gate - windowUs);
        pushed = e != null && e <= gate + windowUs;
        if (pushed) {
          unused.get(coil).remove(e);
        }
      }
      if (p.defective()) {
        if (pushed) {
          defectsRejected++;
        } else {
          defectsEscaped++;
          if (escapedExamples.size() < 5) {
            escapedExamples.add(p.cameraId() + "#" + p.sequence());
          }
        }
      } else if (pushed) {
        goodRejected++;
      } else {
        goodPassed++;
      }
    }
    long pulses = 0;
    for (Integer coil : unused.keySet()) {
      pulses += risingEdgesUs.getOrDefault(coil, new TreeSet<>()).size();
    }
    long strayPulses = unused.values().stream().mapToLong(TreeSet::size).sum();
    // Stroke timing error: each stroke against the nearest part's gate time on its pusher.
    Map<Integer, TreeSet<Long>> gateTimes = new HashMap<>();
    for (SimStats.Part p : parts) {
      Integer coil = coilOf.get(p.cameraId());
      if (coil != null) {
        gateTimes.computeIfAbsent(coil, c -> new TreeSet<>()).add(p.captureUs() + travelUs);
      }
    }
    List<Long> errors = new ArrayList<>();
    for (Integer coil : unused.keySet()) {
      TreeSet<Long> gates = gateTimes.get(coil);
      if (gates == null) {
        continue;
      }
      for (long edge : risingEdgesUs.getOrDefault(coil, new TreeSet<>())) {
        Long before = gates.floor(edge);
        Long after = gates.ceiling(edge);
        long best = Long.MAX_VALUE;
        if (before != null) {
          best = edge - before;
        }
        if (after != null && after - edge < best) {
          best = after - edge;
        }
        if (best != Long.MAX_VALUE) {
          errors.add(best);
        }
      }
    }
    java.util.Collections.sort(errors);
    return new Outcome(
        defectsRejected,
        defectsEscaped,
        goodRejected,
        goodPassed,
        pulses,
        strayPulses,
        escapedExamples,
        percentile(errors, 0.50),
        percentile(errors, 0.99),
        errors.isEmpty() ? 0 : errors.get(errors.size() - 1));
  }

  private static long percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p) - 1));
  }

  /**
   * What left the belt.
   *
   * @param strayPulses pusher strokes that hit no part
   * @param strokeErrorP50Us median distance of a stroke from the gate time of the nearest part on
   *     its pusher (µs, absolute); p99 and max likewise
   */
  public record Outcome(
      long defectsRejected,
      long defectsEscaped,
      long goodRejected,
      long goodPassed,
      long pulses,
      long strayPulses,
      List<String> escapedExamples,
      long strokeErrorP50Us,
      long strokeErrorP99Us,
      long strokeErrorMaxUs) {}

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
