package io.lineinspect.sim;

import io.lineinspect.core.frame.PixelFormat;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Dev tool, not a test: writes rendered parts as PNGs named by index and label, so a person can
 * check that defects are visible and the scene looks like a part on a belt. Single-threaded.
 *
 * <p>Usage: {@code PartRendererPreview DIR [N] [SIDE|WxH] [MONO8|BGR8]}, defaults {@code
 * /tmp/preview 12 256 MONO8}.
 */
public final class PartRendererPreview {
  private PartRendererPreview() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/preview"));
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    String[] size = (args.length > 2 ? args[2] : "256").split("x");
    int width = Integer.parseInt(size[0]);
    int height = Integer.parseInt(size[size.length - 1]);
    boolean colour = args.length > 3 && PixelFormat.valueOf(args[3]) == PixelFormat.BGR8;
    PixelFormat format = colour ? PixelFormat.BGR8 : PixelFormat.MONO8;
    PartRenderer r = new PartRenderer(width, height, 7, 0.7);
    byte[] px = new byte[(int) format.rawPayloadBytes(width, height)];
    for (int k = 0; k < n; k++) {
      PartLabel label = r.render(px, format);
      BufferedImage img =
          new BufferedImage(
              width, height, colour ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, width, height, px);
      ImageIO.write(
          img, "png", new File(dir.toFile(), String.format("%02d-%s.png", k, label.defect())));
    }
  }
}
