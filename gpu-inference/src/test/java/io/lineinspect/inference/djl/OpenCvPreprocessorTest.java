package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.pipeline.FrameEvent;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class OpenCvPreprocessorTest {
  private static final ModelManifest.Input GREY_4 =
      new ModelManifest.Input(
          4, 4, 1, PixelFormat.MONO8, "AREA", List.of(0.5), List.of(0.25), null);

  private static FrameEvent frame(PixelFormat format, int w, int h, byte[] payload) {
    FrameEvent e = FrameEvent.forWarmUp(1);
    e.setFrame(1, 0, false, 0, w, h, format, 0);
    System.arraycopy(payload, 0, e.payloadBuffer(payload.length), 0, payload.length);
    return e;
  }

  @Test
  void shouldResizeByAreaAndNormaliseAsTheManifestSays() {
    byte[] p = new byte[8 * 8];
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        p[y * 8 + x] = (byte) (x < 4 ? 0 : 255); // left half black, right half white
      }
    }
    FrameEvent e = frame(PixelFormat.MONO8, 8, 8, p);
    assertTrue(new OpenCvPreprocessor(GREY_4).preprocess(e));
    float[] in = e.input();
    assertEquals((0 - 0.5) / 0.25, in[0], 1e-4); // black
    assertEquals((1 - 0.5) / 0.25, in[3], 1e-4); // white
  }

  @Test
  void shouldConvertBgrToRgbPlanes() {
    ModelManifest.Input rgb =
        new ModelManifest.Input(
            2,
            2,
            3,
            PixelFormat.BGR8,
            "AREA",
            List.of(0.0, 0.0, 0.0),
            List.of(1.0, 1.0, 1.0),
            null);
    byte[] p = new byte[2 * 2 * 3];
    for (int i = 0; i < 4; i++) {
      p[i * 3] = (byte) 255; // blue only
    }
    FrameEvent e = frame(PixelFormat.BGR8, 2, 2, p);
    assertTrue(new OpenCvPreprocessor(rgb).preprocess(e));
    float[] in = e.input();
    assertEquals(0f, in[0], 1e-4, "R plane");
    assertEquals(0f, in[4], 1e-4, "G plane");
    assertEquals(1f, in[8], 1e-4, "B plane");
  }

  @Test
  void shouldDecodeAJpegOfTheDeclaredSize() throws Exception {
    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", out);
    FrameEvent e = frame(PixelFormat.JPEG, 16, 16, out.toByteArray());
    assertTrue(new OpenCvPreprocessor(GREY_4).preprocess(e));
    assertEquals((0 - 0.5) / 0.25, e.input()[5], 0.1);
  }

  @Test
  void shouldFailSafeAnUndecodableJpeg() {
    FrameEvent e = frame(PixelFormat.JPEG, 16, 16, "garbage, not a jpeg".getBytes());
    assertFalse(new OpenCvPreprocessor(GREY_4).preprocess(e));
    assertEquals(ReasonCode.BAD_IMAGE, e.reason());
    assertTrue(e.detail().contains("not a decodable JPEG"), e.detail());
  }

  @Test
  void shouldFailSafeAPngOfAnotherSizeThanDeclared() throws Exception {
    BufferedImage img = new BufferedImage(10, 12, BufferedImage.TYPE_BYTE_GRAY);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    FrameEvent e = frame(PixelFormat.PNG, 16, 16, out.toByteArray());
    assertFalse(new OpenCvPreprocessor(GREY_4).preprocess(e));
    assertTrue(
        e.detail().contains("PNG image is 10x12 but the frame header says 16x16"), e.detail());
  }

  @Test
  void shouldFailSafeARegionOfInterestOutsideTheFrame() {
    ModelManifest.Input roi =
        new ModelManifest.Input(
            4, 4, 1, PixelFormat.MONO8, "AREA", List.of(0.5), List.of(0.25), List.of(4, 4, 8, 8));
    FrameEvent e = frame(PixelFormat.MONO8, 8, 8, new byte[64]);
    assertFalse(new OpenCvPreprocessor(roi).preprocess(e));
    assertTrue(e.detail().contains("region of interest"), e.detail());
  }
}
