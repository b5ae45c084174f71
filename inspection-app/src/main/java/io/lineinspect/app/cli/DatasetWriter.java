package io.lineinspect.app.cli;

import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.PartLabel;
import io.lineinspect.sim.PartRenderer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a labelled training or test set rendered by the camera simulator's {@link PartRenderer}:
 * frames are rendered at the camera resolution, then box-averaged down to the model's input side
 * (the same resampling as area interpolation for the model's preprocessing).
 *
 * <p>Output in {@code dir}: {@code images.u8} ({@code count × side × side} grey bytes, row-major,
 * image after image), {@code labels.csv} ({@code index,defective,defect}), {@code dataset.txt} (the
 * parameters, to reproduce it). With {@code png}, a model's golden set instead: one grey PNG per
 * image and {@code labels.csv} as {@code file,label,defect} ({@code good}/{@code defect}; see
 * {@code docs/models.md}).
 */
final class DatasetWriter {
  private DatasetWriter() {}

  static void write(
      Path dir,
      int count,
      int cameraSide,
      int modelSide,
      long seed,
      double defectRate,
      boolean png,
      PrintStream progress)
      throws IOException {
    if (cameraSide % modelSide != 0) {
      throw new IllegalArgumentException(
          "--camera-side " + cameraSide + " must be a multiple of --side " + modelSide);
    }
    Files.createDirectories(dir);
    PartRenderer renderer = new PartRenderer(cameraSide, cameraSide, seed, defectRate);
    byte[] frame = new byte[cameraSide * cameraSide];
    byte[] small = new byte[modelSide * modelSide];
    int f = cameraSide / modelSide;
    long started = System.nanoTime();
    try (OutputStream images =
            png
                ? OutputStream.nullOutputStream()
                : new BufferedOutputStream(
                    Files.newOutputStream(dir.resolve("images.u8")), 1 << 20);
        Writer labels =
            Files.newBufferedWriter(dir.resolve("labels.csv"), StandardCharsets.UTF_8)) {
      labels.write(png ? "file,label,defect\n" : "index,defective,defect\n");
      for (int i = 0; i < count; i++) {
        PartLabel label = renderer.render(frame, PixelFormat.MONO8);
        for (int y = 0; y < modelSide; y++) {
          for (int x = 0; x < modelSide; x++) {
            int sum = 0;
            for (int dy = 0; dy < f; dy++) {
              int row = (y * f + dy) * cameraSide + x * f;
              for (int dx = 0; dx < f; dx++) {
                sum += frame[row + dx] & 0xFF;
              }
            }
            small[y * modelSide + x] = (byte) ((sum + f * f / 2) / (f * f));
          }
        }
        if (png) {
          String name = String.format(java.util.Locale.ROOT, "%05d.png", i);
          writePng(dir.resolve(name), small, modelSide);
          labels.write(
              name + "," + (label.defective() ? "defect" : "good") + "," + label.defect() + "\n");
        } else {
          images.write(small);
          labels.write(i + "," + (label.defective() ? 1 : 0) + "," + label.defect() + "\n");
        }
        if ((i + 1) % 1000 == 0 || i + 1 == count) {
          progress.printf(
              "dataset: %d/%d images (%.1f s)%n",
              i + 1, count, (System.nanoTime() - started) / 1e9);
        }
      }
    }
    Files.writeString(
        dir.resolve("dataset.txt"),
        "count="
            + count
            + "\ncameraSide="
            + cameraSide
            + "\nside="
            + modelSide
            + "\nseed="
            + seed
            + "\ndefectRate="
            + defectRate
            + "\nformat=MONO8 rendered at cameraSide, box-averaged to side\n");
  }

  private static void writePng(Path file, byte[] grey, int side) throws IOException {
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(side, side, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, side, side, grey);
    if (!javax.imageio.ImageIO.write(img, "png", file.toFile())) {
      throw new IOException(file + ": no PNG writer");
    }
  }
}
