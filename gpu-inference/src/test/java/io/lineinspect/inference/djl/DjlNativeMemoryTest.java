package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.pipeline.FrameEvent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The classic DJL failure: native and direct memory that grows with every batch. One batch of 4
 * holds 256 KiB of input tensor; 900 leaked batches would add about 225 MiB, far above the bounds
 * below, while a correct backend (per-batch sub-manager, closed outputs) stays flat. Resident
 * memory is read per window of 300 batches after a warm-up of 400 (measured: flat within a few MiB
 * per window, with glibc malloc and with tcmalloc).
 */
class DjlNativeMemoryTest {
  private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  private static long rssBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static long directBytes() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> b.getName().equals("direct"))
        .mapToLong(BufferPoolMXBean::getMemoryUsed)
        .sum();
  }

  private static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(200);
  }

  @Test
  void shouldKeepNativeAndDirectMemoryFlatOverManyBatches() throws Exception {
    try (DjlBackend backend = DjlBackend.load(new DjlBackendConfig(null, "cpu", 4, 0), HOME)) {
      FrameEvent[] batch = new FrameEvent[4];
      for (int i = 0; i < batch.length; i++) {
        batch[i] = FrameEvent.forWarmUp(backend.inputFloats());
      }
      try (InferenceSession session = backend.newSession()) {
        // The first few hundred batches grow the heap, JIT and allocator caches (measured: flat
        // from about 300 batches on, with glibc malloc and with tcmalloc).
        for (int i = 0; i < 400; i++) {
          session.infer(batch, batch.length);
        }
        settle();
        long direct0 = directBytes();
        long[] growth = new long[4];
        long last = rssBytes();
        for (int w = 0; w < growth.length; w++) {
          for (int i = 0; i < 300; i++) {
            session.infer(batch, batch.length);
          }
          settle();
          long now = rssBytes();
          growth[w] = now - last;
          last = now;
        }
        long directGrowth = directBytes() - direct0;
        System.out.printf(
            "RSS growth per 300 batches of 4 (MiB): %.1f %.1f %.1f %.1f; direct %+.1f MiB%n",
            growth[0] / 1048576.0,
            growth[1] / 1048576.0,
            growth[2] / 1048576.0,
            growth[3] / 1048576.0,
            directGrowth / 1048576.0);
        assertTrue(directGrowth < 16L << 20, "direct memory grew by " + directGrowth);
        // The first window may still settle (one-off jumps seen); a leak grows in every window.
        long steady = growth[1] + growth[2] + growth[3];
        assertTrue(steady < 48L << 20, "resident memory grew by " + steady + " over 900 batches");
      }
    }
  }
}
