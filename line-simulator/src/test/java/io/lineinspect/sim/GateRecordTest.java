package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The gate's record travels from the simulated PLC's process intact, and judges the belt. */
class GateRecordTest {
  @Test
  void roundTripsThroughItsTextForm() throws IOException {
    Map<Integer, TreeSet<Long>> edges = new TreeMap<>();
    edges.put(
        4,
        new TreeSet<>(LongStream.range(0, 200).map(i -> 1_000_000 + i * 50_000).boxed().toList()));
    edges.put(5, new TreeSet<>(List.of(7L)));
    GateRecord r =
        new GateRecord(edges, List.of(3L, -2L, 900L), 201, 1, List.of("0:5"), "SCHED_FIFO 60", 17);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    r.writeTo(new PrintStream(bytes, true, StandardCharsets.US_ASCII));
    GateRecord back =
        GateRecord.readFrom(
            new BufferedReader(
                new StringReader(bytes.toString(StandardCharsets.US_ASCII) + "after\n")));
    assertEquals(r, back);
  }

  @Test
  void aTruncatedRecordIsAnErrorNotAnEmptyGate() {
    BufferedReader in = new BufferedReader(new StringReader("realtime x\ncounts 1 0 0\nedge 4 1"));
    IOException e = assertThrows(IOException.class, () -> GateRecord.readFrom(in));
    assertEquals("the simulated PLC's record ended before its end line", e.getMessage());
  }

  @Test
  void judgesWhichPartsLeftTheBelt() {
    // Travel 100 ms, window ±5 ms: part 1 (defective) pushed, part 2 (defective) missed by 6 ms,
    // part 3 (good) pushed by mistake, part 4 good and passed.
    Map<Integer, TreeSet<Long>> edges = new TreeMap<>();
    edges.put(4, new TreeSet<>(List.of(100_000L + 1_000, 200_000L + 6_000 + 100_000, 400_000L)));
    GateRecord r = new GateRecord(edges, List.of(), 0, 0, List.of(), "normal priority", 0);
    List<SimStats.Part> parts =
        List.of(
            new SimStats.Part("cam-1", 1, 0, true),
            new SimStats.Part("cam-1", 2, 200_000, true),
            new SimStats.Part("cam-1", 3, 300_000, false),
            new SimStats.Part("cam-1", 4, 500_000, false));
    GateRecord.Outcome g = r.judge(parts, Map.of("cam-1", 4), 100_000, 5_000);
    assertEquals(1, g.defectsRejected(), g.toString());
    assertEquals(1, g.defectsEscaped(), g.toString());
    assertEquals(List.of("cam-1#2"), g.escapedExamples());
    assertEquals(1, g.goodRejected(), g.toString());
    assertEquals(1, g.goodPassed(), g.toString());
    assertEquals(1, g.strayPulses(), g.toString());
  }
}
