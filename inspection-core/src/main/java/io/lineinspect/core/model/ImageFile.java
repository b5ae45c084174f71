package io.lineinspect.core.model;

import io.lineinspect.core.frame.PixelFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An encoded image file (PNG or JPEG) as a camera would send it: the bytes, the format and the size
 * from its header (the preprocessor checks the decoded size against it, as for camera frames).
 *
 * @param path where it was read from
 * @param bytes the whole file
 */
public record ImageFile(Path path, byte[] bytes, int width, int height, PixelFormat format) {

  /** True for names ending in .png, .jpg or .jpeg (any case). */
  public static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
  }

  /**
   * Reads an image file; its size comes from the header, without decoding the pixels.
   *
   * @throws IOException when the file cannot be read or is not a PNG/JPEG image (names the file)
   */
  public static ImageFile read(Path p) throws IOException {
    byte[] bytes = Files.readAllBytes(p);
    PixelFormat format;
    if (bytes.length > 8 && (bytes[0] & 0xFF) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N') {
      format = PixelFormat.PNG;
    } else if (bytes.length > 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
      format = PixelFormat.JPEG;
    } else {
      throw new IOException(p + ": not a PNG or JPEG file");
    }
    try (ImageInputStream in =
        ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IOException(p + ": no reader for this " + format + " file");
      }
      ImageReader r = readers.next();
      try {
        r.setInput(in);
        return new ImageFile(p, bytes, r.getWidth(0), r.getHeight(0), format);
      } finally {
        r.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof IOException io
          && io.getMessage() != null
          && io.getMessage().startsWith(p.toString())) {
        throw io;
      }
      throw new IOException(p + ": unreadable " + format + " header: " + e.getMessage(), e);
    }
  }
}
