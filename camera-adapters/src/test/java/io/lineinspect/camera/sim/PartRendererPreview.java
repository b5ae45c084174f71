package io.lineinspect.camera.sim;

import io.lineinspect.core.frame.PixelFormat;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Dev tool: writes rendered parts as PNGs named by label. Usage: PartRendererPreview DIR [N]
 * [SIZE].
 */
public final class PartRendererPreview {
  private PartRendererPreview() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/preview"));
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    PartRenderer r = new PartRenderer(size, size, 7, 0.7);
    byte[] px = new byte[size * size];
    for (int k = 0; k < n; k++) {
      PartLabel label = r.render(px, PixelFormat.MONO8);
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, size, size, px);
      ImageIO.write(
          img, "png", new File(dir.toFile(), String.format("%02d-%s.png", k, label.defect())));
    }
  }
}
