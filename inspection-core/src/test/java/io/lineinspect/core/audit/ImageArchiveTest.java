package io.lineinspect.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ArchiveConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.testing.TestVerdict;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageArchiveTest {
  @TempDir Path dir;

  /** A verdict with a raw grey 64x48 image whose pixels all equal the frame number. */
  static TestVerdict frame(TestVerdict v, long n, Verdict verdict) {
    v.part("cam-1", n, verdict, 1_000_000L + n, 0);
    java.util.Arrays.fill(v.image, (byte) n);
    return v;
  }

  private static long files(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  /** Waits (bounded) until the writer has handled {@code n} images: saved or failed. */
  private static void awaitHandled(ImageArchive a, long n) throws InterruptedException {
    long until = System.nanoTime() + 10_000_000_000L;
    while (a.saved() + a.failed() < n) {
      assertTrue(System.nanoTime() < until, "archive-writer stalled at " + a.saved() + " of " + n);
      Thread.sleep(1);
    }
  }

  @Test
  void failImagesAndEveryNthPassAreSavedAsPngNamedLikeTheAuditRecord() throws Exception {
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.MONO8);
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 10, 1L << 20, 8), dir)) {
      long kept = 0;
      for (int n = 1; n <= 30; n++) {
        a.onVerdict(frame(v, n, n % 3 == 0 ? Verdict.FAIL : Verdict.PASS));
        kept += n % 3 == 0 || n % 10 == 0 ? 1 : 0;
        awaitHandled(a, kept);
      }
      assertEquals(0, a.skipped());
    }
    // FAIL: 3, 6, ..., 30 (10 images); every 10th PASS frame: 10 and 20 (2 more).
    Path f = ImageArchive.fileOf(dir, "cam-1", 9, 1_000_009L, PixelFormat.MONO8);
    assertTrue(Files.exists(f), f.toString());
    BufferedImage img = ImageIO.read(f.toFile());
    assertEquals(64, img.getWidth());
    assertEquals(9, img.getRaster().getSample(5, 5, 0), "the frame's own pixels");
    assertFalse(Files.exists(ImageArchive.fileOf(dir, "cam-1", 7, 1_000_007L, PixelFormat.MONO8)));
    assertTrue(Files.exists(ImageArchive.fileOf(dir, "cam-1", 10, 1_000_010L, PixelFormat.MONO8)));
    assertEquals(12, files(dir));
  }

  @Test
  void theQuotaEvictsTheOldestAndBusySlotsSkipWithoutWaiting() throws Exception {
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.MONO8);
    ImageArchive burst = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 20, 1), dir);
    long start = System.nanoTime();
    for (int n = 1; n <= 500; n++) {
      burst.onVerdict(frame(v, n, Verdict.FAIL));
    }
    assertTrue(System.nanoTime() - start < 2_000_000_000L, "onVerdict never waits");
    burst.close(); // writes the images in hand, then stops: nothing is in flight after this
    assertEquals(0, burst.failed());
    assertEquals(500, burst.saved() + burst.skipped(), "every image saved or counted as skipped");
    assertTrue(burst.skipped() > 0, "one slot cannot keep up with a burst");
    assertEquals(burst.saved(), files(dir), "what was counted saved is on disk");
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 20, 4), dir)) {
      // PNGs of a flat 64x48 image are tiny: fill past 1 MiB with bigger payloads.
      TestVerdict big = new TestVerdict().withImage(512, 512, PixelFormat.MONO8);
      new java.util.Random(1).nextBytes(big.image);
      for (int n = 1000; n < 1010; n++) {
        big.part("cam-1", n, Verdict.FAIL, 1_000_000L + n, 0);
        a.onVerdict(big);
        awaitHandled(a, n - 999); // one image at a time: none is skipped
      }
      assertEquals(10, a.saved());
      assertTrue(a.evicted() > 0, "quota enforced");
    }
    long total;
    try (Stream<Path> s = Files.walk(dir)) {
      total = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    assertTrue(total <= (1L << 20) + 300_000, "within the quota (+ one image): " + total);
  }

  @Test
  void warmUpImagesAreEncodedButNeverSavedOrCounted() throws Exception {
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.RGB8);
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 1, 1L << 20, 8), dir)) {
      for (int n = 1; n <= ImageArchive.WARM_UP_IMAGES + 50; n++) {
        a.onWarmUpVerdict(frame(v, n, Verdict.FAIL));
      }
      assertTrue(a.awaitIdle(10_000), "the dry run drains");
      assertEquals(0, a.saved() + a.skipped() + a.failed(), "a dry run counts nothing");
      assertTrue(
          a.warmUpEncoded() > 0 && a.warmUpEncoded() <= ImageArchive.WARM_UP_IMAGES,
          "encoded: " + a.warmUpEncoded());
      assertEquals(0, files(dir), "and saves nothing");
      // The real chain afterwards is unchanged: the next real FAIL is saved.
      a.onVerdict(frame(v, 999, Verdict.FAIL));
      awaitHandled(a, 1);
      assertEquals(1, a.saved());
      assertEquals(0, a.failed());
    }
    assertEquals(1, files(dir));
  }

  @Test
  void partsWithTheSameIdentityAreSavedSideBySideAndNoImageIsEverReplaced() throws Exception {
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.MONO8);
    Path first = ImageArchive.fileOf(dir, "cam-1", 5, 1_000_005L, PixelFormat.MONO8);
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 20, 8), dir)) {
      for (int pixel = 1; pixel <= 3; pixel++) {
        // Same camera, frame and capture time each time: another connection, an impostor.
        v.part("cam-1", 5, Verdict.FAIL, 1_000_005L, 0);
        java.util.Arrays.fill(v.image, (byte) pixel);
        a.onVerdict(v);
        awaitHandled(a, pixel);
      }
      assertEquals(0, a.failed());
    }
    java.util.List<Path> saved = ImageArchive.filesOf(dir, "cam-1", 5, 1_000_005L);
    assertEquals(
        java.util.List.of(
            first,
            first.resolveSibling("cam-1_5_1000005.2.png"),
            first.resolveSibling("cam-1_5_1000005.3.png")),
        saved);
    for (int i = 0; i < 3; i++) {
      assertEquals(i + 1, ImageIO.read(saved.get(i).toFile()).getRaster().getSample(5, 5, 0));
    }
    assertEquals(3, files(dir));
    // After a restart, too: the images already on disk are kept, the next one takes .4.
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 20, 8), dir)) {
      java.util.Arrays.fill(v.image, (byte) 9);
      a.onVerdict(v);
      awaitHandled(a, 1);
    }
    assertEquals(4, ImageArchive.filesOf(dir, "cam-1", 5, 1_000_005L).size());
    assertEquals(1, ImageIO.read(first.toFile()).getRaster().getSample(5, 5, 0), "kept");
  }

  @Test
  void aCameraIdThatWouldLeaveTheArchiveIsRefused(@TempDir Path outer) throws Exception {
    Path archive = outer.resolve("archive");
    TestVerdict v = new TestVerdict().withImage(64, 48, PixelFormat.MONO8);
    String[] ids = {"..", "../escaped", "a/b", "/tmp/x", ".", ""};
    try (ImageArchive a = new ImageArchive(new ArchiveConfig(true, "x", 0, 1L << 20, 8), archive)) {
      for (int i = 0; i < ids.length; i++) {
        a.onVerdict(v.part(ids[i], 1, Verdict.FAIL, 1, 0));
        awaitHandled(a, i + 1);
      }
      a.onVerdict(v.part("cam-1", 1, Verdict.FAIL, 1, 0));
      awaitHandled(a, ids.length + 1);
      assertEquals(ids.length, a.failed(), "each refused and counted");
      assertEquals(1, a.saved());
    }
    assertEquals(1, files(outer), "only cam-1's image, inside the archive");
    assertTrue(Files.exists(ImageArchive.fileOf(archive, "cam-1", 1, 1, PixelFormat.MONO8)));
  }
}
