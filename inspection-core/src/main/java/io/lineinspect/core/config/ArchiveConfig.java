package io.lineinspect.core.config;

/**
 * The reject image archive: the image of every FAIL (and a sample of PASS) saved next to the audit
 * trail, bounded by a disk quota (see {@code docs/operations.md}).
 *
 * @param enabled save images (default true)
 * @param dir directory; relative paths resolve against the install directory (default {@code
 *     var/archive})
 * @param passEvery also save every n-th PASS frame of each camera (by frame number); 0 = none
 *     (default 100)
 * @param maxBytes oldest images are deleted beyond this total (default 1 GiB)
 * @param slots images waiting to be written at once; beyond, an image is skipped and counted, never
 *     waited for (default 32)
 */
public record ArchiveConfig(
    Boolean enabled, String dir, Integer passEvery, Long maxBytes, Integer slots) {
  public ArchiveConfig {
    enabled = enabled == null || enabled;
    dir = Check.text("archive.dir", dir, "var/archive");
    passEvery = Check.intIn("archive.passEvery", passEvery, 100, 0, 1_000_000);
    maxBytes = maxBytes == null ? 1L << 30 : maxBytes;
    if (maxBytes < (1 << 20)) {
      throw new ConfigException("archive.maxBytes: must be at least 1 MiB, got " + maxBytes);
    }
    slots = Check.intIn("archive.slots", slots, 32, 1, 4096);
  }

  public static ArchiveConfig defaults() {
    return new ArchiveConfig(null, null, null, null, null);
  }

  /** Whether a verdict's image is kept. */
  public boolean keeps(boolean fail, long frame) {
    return fail || passEvery > 0 && frame % passEvery == 0;
  }
}
