package io.lineinspect.camera.drop;

import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The image drop's section, {@code drop}: smart cameras that push each image as a file, into a
 * local hot folder or over the embedded SFTP server. Owned by this module, contributed to the
 * loader by {@link DropConfigModule}; the core holds it as an opaque {@link
 * io.lineinspect.core.config.ModuleSection}. Every key is documented in {@code
 * docs/configuration.md#drop}.
 *
 * @param enabled run the drop (default false)
 * @param dir the drop directory, relative to the install (default {@code var/drop}); each camera
 *     has its own sub-directory {@code <dir>/<camera id>/}
 * @param maxBytes disk quota over everything under {@code dir} (default 1 GiB, at least 1 MiB): an
 *     SFTP upload that would pass it is refused; the hot folder raises an alarm
 * @param maxFileBytes largest image file judged (default 33554432); a larger one gets the fail-safe
 *     verdict BAD_IMAGE without being read
 * @param pollMs how often the hot folders are listed (default 50)
 * @param settleMs how long a hot-folder file must keep its size and modification time before it is
 *     taken (default 200; 0 for writers that always write under a temporary name and rename)
 * @param sftp the embedded SFTP server
 * @param cameras the cameras that drop images, by camera id (at least one when enabled)
 */
public record DropConfig(
    Boolean enabled,
    String dir,
    Long maxBytes,
    Integer maxFileBytes,
    Integer pollMs,
    Integer settleMs,
    DropSftpConfig sftp,
    Map<String, DropCameraConfig> cameras) {
  /** Camera ids as protocol v1 allows them (docs/protocol.md §4.1). */
  static final Pattern CAMERA_ID = Pattern.compile("[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,63}");

  public DropConfig {
    enabled = enabled != null && enabled;
    dir = Check.text("drop.dir", dir, "var/drop");
    maxBytes = maxBytes == null ? 1L << 30 : maxBytes;
    if (maxBytes < (1L << 20) || maxBytes > (1L << 44)) {
      throw new ConfigException("drop.maxBytes: must be between 1048576 and 2^44, got " + maxBytes);
    }
    maxFileBytes = Check.intIn("drop.maxFileBytes", maxFileBytes, 32 << 20, 1024, 256 << 20);
    pollMs = Check.intIn("drop.pollMs", pollMs, 50, 5, 10_000);
    settleMs = Check.intIn("drop.settleMs", settleMs, 200, 0, 60_000);
    sftp = sftp == null ? DropSftpConfig.defaults() : sftp;
    Map<String, DropCameraConfig> c = new TreeMap<>();
    if (cameras != null) {
      for (Map.Entry<String, DropCameraConfig> e : cameras.entrySet()) {
        String id = e.getKey();
        String key = "drop.cameras." + id;
        if (!CAMERA_ID.matcher(id).matches()) {
          throw new ConfigException(
              key + ": a camera id is 1-64 of A-Z a-z 0-9 . _ : - and does not start with '.'");
        }
        DropCameraConfig cam = e.getValue() == null ? DropCameraConfig.folder() : e.getValue();
        cam.check(key, id);
        c.put(id, cam);
      }
    }
    cameras = Map.copyOf(c);
    if (enabled && cameras.isEmpty()) {
      throw new ConfigException("drop.cameras: drop.enabled needs at least one camera");
    }
    boolean anySftp = cameras.values().stream().anyMatch(DropCameraConfig::isSftp);
    if (anySftp && !sftp.enabled()) {
      throw new ConfigException(
          "drop.sftp.enabled: a camera has via: sftp but the SFTP server is off");
    }
    java.util.Set<String> users = new java.util.HashSet<>();
    for (Map.Entry<String, DropCameraConfig> e : cameras.entrySet()) {
      if (e.getValue().isSftp() && !users.add(e.getValue().userFor(e.getKey()))) {
        throw new ConfigException(
            "drop.cameras." + e.getKey() + ".user: SFTP user given to two cameras");
      }
    }
  }

  /** Off: the defaults. */
  public static DropConfig defaults() {
    return new DropConfig(null, null, null, null, null, null, null, null);
  }

  /** The section of {@code config}: as loaded, or the defaults when assembled in code without. */
  public static DropConfig of(ServiceConfig config) {
    DropConfig c = config.drop().as(DropConfig.class);
    return c == null ? defaults() : c;
  }
}
