package io.lineinspect.sim;

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
import org.junit.jupiter.api.function.Executable;

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
  void shouldWriteExactlyTheRawPayloadSizeForEachFormat() {
    for (PixelFormat format : new PixelFormat[] {PixelFormat.MONO8, PixelFormat.BGR8}) {
      int needed = (int) format.rawPayloadBytes(80, 60);
      byte[] dst = new byte[needed + 64];
      Arrays.fill(dst, (byte) 0x5A);
      new PartRenderer(80, 60, 4, 0).render(dst, format);
      for (int i = needed; i < dst.length; i++) {
        assertEquals((byte) 0x5A, dst[i], format + " wrote past its payload at " + i);
      }
      assertEquals(80 * 60 * (format == PixelFormat.MONO8 ? 1 : 3), needed);
    }
  }

  @Test
  void shouldRenderTheSameSceneInMonoAndColour() {
    byte[] mono = new byte[64 * 48];
    byte[] bgr = new byte[64 * 48 * 3];
    new PartRenderer(64, 48, 9, 0.5).render(mono, PixelFormat.MONO8);
    new PartRenderer(64, 48, 9, 0.5).render(bgr, PixelFormat.BGR8);
    for (int i = 0; i < mono.length; i++) {
      assertEquals(mono[i], bgr[3 * i + 1], "green carries the grey value");
    }
  }

  @Test
  void shouldRejectBadArgumentsWithAMessageNamingThem() {
    assertMessageNames("width", () -> new PartRenderer(8, 64, 1, 0));
    assertMessageNames("width", () -> new PartRenderer(4097, 64, 1, 0));
    assertMessageNames("height", () -> new PartRenderer(64, 31, 1, 0));
    assertMessageNames("defectRate", () -> new PartRenderer(64, 64, 1, 2));
    assertMessageNames("defectRate", () -> new PartRenderer(64, 64, 1, -0.1));
    assertMessageNames("defectRate", () -> new PartRenderer(64, 64, 1, Double.NaN));
  }

  @Test
  void shouldRejectEncodedFormatsAndTooSmallBuffers() {
    PartRenderer r = new PartRenderer(64, 64, 1, 0);
    assertThrows(
        IllegalArgumentException.class, () -> r.render(new byte[64 * 64 * 3], PixelFormat.JPEG));
    assertThrows(
        IllegalArgumentException.class, () -> r.render(new byte[64 * 64 * 3], PixelFormat.PNG));
    assertThrows(IllegalArgumentException.class, () -> r.render(new byte[64 * 64 * 3], null));
    assertThrows(IllegalArgumentException.class, () -> r.render(new byte[10], PixelFormat.MONO8));
    assertThrows(
        IllegalArgumentException.class, () -> r.render(new byte[64 * 64], PixelFormat.BGR8));
  }

  private static void assertMessageNames(String argument, Executable construct) {
    String message = assertThrows(IllegalArgumentException.class, construct).getMessage();
    assertTrue(message.contains(argument), message);
  }
}
