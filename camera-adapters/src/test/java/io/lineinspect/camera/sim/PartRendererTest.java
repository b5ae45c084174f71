package io.lineinspect.camera.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.frame.PixelFormat;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PartRendererTest {

  @Test
  void shouldRenderTheSameImagesAndLabelsForTheSameSeed() {
    PartRenderer a = new PartRenderer(128, 96, 5, 0.5);
    PartRenderer b = new PartRenderer(128, 96, 5, 0.5);
    byte[] pa = new byte[128 * 96];
    byte[] pb = new byte[128 * 96];
    for (int i = 0; i < 10; i++) {
      assertEquals(a.render(pa, PixelFormat.MONO8), b.render(pb, PixelFormat.MONO8));
      assertArrayEquals(pa, pb);
    }
  }

  @Test
  void shouldRenderDifferentPartsForDifferentSeeds() {
    byte[] pa = new byte[128 * 128];
    byte[] pb = new byte[128 * 128];
    new PartRenderer(128, 128, 1, 0).render(pa, PixelFormat.MONO8);
    new PartRenderer(128, 128, 2, 0).render(pb, PixelFormat.MONO8);
    assertFalse(Arrays.equals(pa, pb));
  }

  @Test
  void shouldVaryGoodPartsFromFrameToFrame() {
    PartRenderer r = new PartRenderer(128, 128, 3, 0);
    byte[] p1 = new byte[128 * 128];
    byte[] p2 = new byte[128 * 128];
    r.render(p1, PixelFormat.MONO8);
    r.render(p2, PixelFormat.MONO8);
    long diff = 0;
    for (int i = 0; i < p1.length; i++) {
      diff += Math.abs((p1[i] & 0xFF) - (p2[i] & 0xFF));
    }
    assertTrue(
        diff / (double) p1.length > 3, "mean absolute difference " + diff / (double) p1.length);
  }

  @Test
  void shouldDrawDefectsAtTheConfiguredRateAndOfEveryKind() {
    PartRenderer r = new PartRenderer(64, 64, 11, 0.3);
    byte[] p = new byte[64 * 64];
    int defective = 0;
    Set<DefectKind> seen = EnumSet.noneOf(DefectKind.class);
    for (int i = 0; i < 1000; i++) {
      PartLabel l = r.render(p, PixelFormat.MONO8);
      assertEquals(i, l.partIndex());
      seen.add(l.defect());
      if (l.defective()) {
        defective++;
      }
    }
    assertTrue(defective >= 220 && defective <= 380, "defective " + defective);
    assertEquals(EnumSet.allOf(DefectKind.class), seen);
  }

  @Test
  void shouldRenderColourFormatsWithThreeBytesPerPixel() {
    PartRenderer bgr = new PartRenderer(64, 48, 9, 0);
    PartRenderer rgb = new PartRenderer(64, 48, 9, 0);
    byte[] b = new byte[64 * 48 * 3];
    byte[] r = new byte[64 * 48 * 3];
    bgr.render(b, PixelFormat.BGR8);
    rgb.render(r, PixelFormat.RGB8);
    for (int i = 0; i < 64 * 48; i++) {
      assertEquals(b[3 * i], r[3 * i + 2], "channel order");
      assertEquals(b[3 * i + 1], r[3 * i + 1]);
    }
  }

  @Test
  void shouldRejectBadArgumentsWithAMessageNamingThem() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new PartRenderer(8, 64, 1, 0))
            .getMessage()
            .contains("width"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new PartRenderer(64, 64, 1, 2))
            .getMessage()
            .contains("defectRate"));
    PartRenderer r = new PartRenderer(64, 64, 1, 0);
    assertThrows(
        IllegalArgumentException.class, () -> r.render(new byte[64 * 64], PixelFormat.JPEG));
    assertThrows(IllegalArgumentException.class, () -> r.render(new byte[10], PixelFormat.MONO8));
  }
}
