package io.lineinspect.plant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk spool: order, bound, acknowledged cursor, restart, torn tail. */
class SpoolTest {
  @TempDir Path dir;

  private static byte[] v(int i) {
    return ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void recordsComeBackInOrderAndARestartResumesAtTheAcknowledgedCursor() throws Exception {
    try (Spool s = new Spool(dir, 1 << 20, 0)) {
      for (int i = 0; i < 10; i++) {
        assertTrue(s.append((byte) 0, "k".getBytes(), v(i), 0, v(i).length));
      }
      s.flush();
      Spool.Entry last = null;
      for (int i = 0; i < 4; i++) {
        last = s.next();
        assertEquals(new String(v(i)), new String(last.value));
        s.advance(last);
      }
      s.acknowledge(last.segment, last.end, 4);
      assertEquals(6, s.records());
    }
    try (Spool s = new Spool(dir, 1 << 20, 0)) {
      assertEquals(6, s.records());
      for (int i = 4; i < 10; i++) {
        Spool.Entry e = s.next();
        assertEquals(new String(v(i)), new String(e.value));
        s.advance(e);
      }
      assertNull(s.next());
    }
  }

  @Test
  void aFullSpoolRefusesNewRecordsAndKeepsTheOldest() throws Exception {
    try (Spool s = new Spool(dir, 1 << 20, 1000)) {
      byte[] big = new byte[10_000];
      int n = 0;
      while (s.append((byte) 1, new byte[0], big, 0, big.length)) {
        n++;
      }
      assertTrue(n > 90 && n < 110, "records: " + n);
      assertFalse(s.append((byte) 1, new byte[0], big, 0, big.length));
      assertTrue(s.bytes() <= 1 << 20);
      s.flush();
      assertEquals(n, s.records());
    }
  }

  @Test
  void aTornRecordAtTheEndIsCutOffAtOpen() throws Exception {
    try (Spool s = new Spool(dir, 1 << 20, 0)) {
      for (int i = 0; i < 3; i++) {
        s.append((byte) 0, new byte[0], v(i), 0, v(i).length);
      }
    }
    Path seg;
    try (var files = Files.list(dir)) {
      seg = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList().get(0);
    }
    Files.write(seg, new byte[] {0, 0, 0, 40, 1, 2}, StandardOpenOption.APPEND);
    try (Spool s = new Spool(dir, 1 << 20, 0)) {
      assertEquals(3, s.records());
      for (int i = 0; i < 3; i++) {
        Spool.Entry e = s.next();
        assertEquals(new String(v(i)), new String(e.value));
        s.advance(e);
      }
      assertNull(s.next());
    }
  }
}
