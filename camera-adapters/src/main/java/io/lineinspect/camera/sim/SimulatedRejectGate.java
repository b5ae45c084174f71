package io.lineinspect.camera.sim;

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
import java.util.TreeSet;

/**
 * The far end of the demo line: a simulated PLC (an in-process Modbus TCP server on loopback) whose
 * coils drive reject pushers. It records when each coil switches on, on its own clock, and then
 * {@link #judge judges} physically which parts left the belt: a part is pushed off when its
 * camera's coil switches on while the part is in front of the pusher (its gate time ± a window).
 * Comparing that with the simulator's ground truth gives defects rejected, defects escaped and good
 * parts rejected — what the plant would count in the reject bin.
 */
public final class SimulatedRejectGate implements AutoCloseable {
  private final ModbusTcpServer server;
  private final int port;
  private final Map<Integer, TreeSet<Long>> risingEdgesUs = new HashMap<>();
  private final Map<Integer, Boolean> coils = new HashMap<>();
  private long registerWrites;

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
    return new Outcome(
        defectsRejected,
        defectsEscaped,
        goodRejected,
        goodPassed,
        pulses,
        strayPulses,
        escapedExamples);
  }

  /**
   * What left the belt.
   *
   * @param strayPulses pusher strokes that hit no part
   */
  public record Outcome(
      long defectsRejected,
      long defectsEscaped,
      long goodRejected,
      long goodPassed,
      long pulses,
      long strayPulses,
      List<String> escapedExamples) {}

  @Override
  public void close() {
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
      }
      return new WriteMultipleRegistersResponse(request.address(), request.quantity());
    }
  }
}
