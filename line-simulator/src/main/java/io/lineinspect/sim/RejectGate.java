package io.lineinspect.sim;

import java.util.List;
import java.util.Map;

/**
 * The far end of the demo line: a simulated PLC with reject pushers, as the demo and the tests see
 * it. {@link SimulatedRejectGate} runs it inside this JVM; {@link RejectGateProcess} runs it in a
 * process of its own, as a real PLC is a machine of its own: the service's garbage collector and
 * JIT cannot pause its stroke timer.
 */
public interface RejectGate extends AutoCloseable {
  /** The Modbus TCP port it listens on (loopback). */
  int port();

  /**
   * Runs the PLC side of {@code firing: plc}: order areas of {@code cameraSlots} camera slots from
   * {@code ordersAddress}; camera slot {@code s}'s pusher is coil {@code firstCoil + s}; with
   * {@code realtimePriority} 1..99 the stroke thread asks for {@code SCHED_FIFO} (best effort).
   */
  RejectGate acceptOrders(int ordersAddress, int cameraSlots, int firstCoil, int realtimePriority);

  /**
   * Waits (at most {@code timeoutMs}) until every stroke taken has fired, then returns what the
   * gate saw so far.
   */
  GateRecord awaitStrokes(long timeoutMs) throws InterruptedException;

  /** Where it runs, for the demo's description ("in-process", "own process, pid 123"). */
  String where();

  @Override
  void close();

  /**
   * Which parts were pushed off the belt, from what the gate has seen so far: see {@link
   * GateRecord#judge}.
   */
  default GateRecord.Outcome judge(
      List<SimStats.Part> parts, Map<String, Integer> coilOf, long travelUs, long windowUs)
      throws InterruptedException {
    return awaitStrokes(0).judge(parts, coilOf, travelUs, windowUs);
  }
}
