package io.lineinspect.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a simulated reject gate saw: when each pusher coil switched on (its own clock, epoch µs),
 * how late each PLC-timed stroke fired after its order's due time, and the orders it took or
 * refused. {@link #judge} turns it into what left the belt.
 *
 * <p>It travels from a gate in another process as text lines ({@link #writeTo}, {@link #readFrom}):
 * {@code realtime TEXT}, {@code counts TAKEN LATE REGISTER_WRITES}, {@code late SLOT:SEQ}, {@code
 * edge COIL US…}, {@code err US…}, then {@code end}.
 *
 * @param risingEdgesUs coil address → the times it switched on
 * @param strokeErrorsUs each PLC-timed stroke's actual minus due time, µs
 * @param lateOrders {@code camera-slot:frame-sequence} of the first orders refused as late
 * @param strokeThreadRealtime the stroke thread's scheduling ("SCHED_FIFO n", "normal priority …")
 */
public record GateRecord(
    Map<Integer, TreeSet<Long>> risingEdgesUs,
    List<Long> strokeErrorsUs,
    long ordersTaken,
    long ordersLate,
    List<String> lateOrders,
    String strokeThreadRealtime,
    long registerWrites) {

  /** Edges per line in {@link #writeTo}: keeps each line short. */
  private static final int PER_LINE = 64;

  /**
   * Which parts were pushed off the belt: a part is pushed off when its camera's coil switches on
   * while the part is in front of the pusher (its gate time ± a window). Compared with the
   * simulator's ground truth this gives defects rejected, defects escaped and good parts rejected —
   * what the plant would count in the reject bin.
   *
   * @param parts the parts the cameras sent
   * @param coilOf camera id → its pusher's coil
   * @param travelUs capture → gate
   * @param windowUs a pusher switching on within ± this of a part's gate time pushes that part
   */
  public Outcome judge(
      List<SimStats.Part> parts, Map<String, Integer> coilOf, long travelUs, long windowUs) {
    long defectsRejected = 0;
    long defectsEscaped = 0;
    long goodRejected = 0;
    long goodPassed = 0;
    // Only the pushers' coils count (an alarm coil, say, pushes nothing).
    Map<Integer, TreeSet<Long>> unused = new HashMap<>();
    for (Integer coil : new HashSet<>(coilOf.values())) {
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
    Collections.sort(errors);
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

  /** The PLC-timed strokes' lateness after their due times, sorted, µs. */
  public List<Long> sortedStrokeErrorsUs() {
    List<Long> s = new ArrayList<>(strokeErrorsUs);
    Collections.sort(s);
    return s;
  }

  static long percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p) - 1));
  }

  /** Writes this record as the text lines {@link #readFrom} reads. */
  public void writeTo(PrintStream out) {
    out.println("realtime " + strokeThreadRealtime.replace('\n', ' '));
    out.println("counts " + ordersTaken + " " + ordersLate + " " + registerWrites);
    for (String l : lateOrders) {
      out.println("late " + l);
    }
    risingEdgesUs.forEach(
        (coil, edges) -> {
          List<Long> all = new ArrayList<>(edges);
          for (int i = 0; i < all.size(); i += PER_LINE) {
            StringBuilder b = new StringBuilder("edge ").append(coil);
            for (long e : all.subList(i, Math.min(all.size(), i + PER_LINE))) {
              b.append(' ').append(e);
            }
            out.println(b);
          }
        });
    for (int i = 0; i < strokeErrorsUs.size(); i += PER_LINE) {
      StringBuilder b = new StringBuilder("err");
      for (long e : strokeErrorsUs.subList(i, Math.min(strokeErrorsUs.size(), i + PER_LINE))) {
        b.append(' ').append(e);
      }
      out.println(b);
    }
    out.println("end");
    out.flush();
  }

  /** Reads the lines {@link #writeTo} wrote, up to and including {@code end}. */
  public static GateRecord readFrom(BufferedReader in) throws IOException {
    Map<Integer, TreeSet<Long>> edges = new TreeMap<>();
    List<Long> errors = new ArrayList<>();
    List<String> late = new ArrayList<>();
    String realtime = "unknown";
    long taken = 0;
    long lateCount = 0;
    long writes = 0;
    for (String line = in.readLine(); ; line = in.readLine()) {
      if (line == null) {
        throw new IOException("the simulated PLC's record ended before its end line");
      }
      if (line.equals("end")) {
        break;
      }
      int space = line.indexOf(' ');
      String kind = space < 0 ? line : line.substring(0, space);
      String rest = space < 0 ? "" : line.substring(space + 1);
      String[] f = rest.isEmpty() ? new String[0] : rest.split(" ");
      try {
        switch (kind) {
          case "realtime" -> realtime = rest;
          case "counts" -> {
            taken = Long.parseLong(f[0]);
            lateCount = Long.parseLong(f[1]);
            writes = Long.parseLong(f[2]);
          }
          case "late" -> late.add(rest);
          case "edge" -> {
            TreeSet<Long> set = edges.computeIfAbsent(Integer.parseInt(f[0]), c -> new TreeSet<>());
            for (int i = 1; i < f.length; i++) {
              set.add(Long.parseLong(f[i]));
            }
          }
          case "err" -> {
            for (String s : f) {
              errors.add(Long.parseLong(s));
            }
          }
          default -> throw new IOException("unexpected line from the simulated PLC: " + line);
        }
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new IOException("malformed line from the simulated PLC: " + line, e);
      }
    }
    return new GateRecord(edges, errors, taken, lateCount, late, realtime, writes);
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
}
