package io.lineinspect.camera.drop;

import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.ConfigException;

/**
 * {@code drop.cameras.<id>}: one camera that drops images.
 *
 * @param via {@code folder} (default: a local writer puts files into {@code <drop.dir>/<id>/}) or
 *     {@code sftp} (the camera uploads over the embedded SFTP server and sees only its own
 *     directory)
 * @param user the SFTP user name (default the camera id); {@code via: sftp} only
 * @param passwordFile a file holding the SFTP password (surrounding whitespace ignored), relative
 *     to the install; {@code via: sftp} only
 * @param authorizedKeysFile an OpenSSH {@code authorized_keys} file with the camera's public keys,
 *     relative to the install; {@code via: sftp} only. At least one of the two for SFTP
 */
public record DropCameraConfig(
    String via, String user, String passwordFile, String authorizedKeysFile) {
  public DropCameraConfig {
    via = via == null ? "folder" : via;
  }

  static DropCameraConfig folder() {
    return new DropCameraConfig(null, null, null, null);
  }

  boolean isSftp() {
    return "sftp".equals(via);
  }

  String userFor(String cameraId) {
    return user == null ? cameraId : user;
  }

  void check(String key, String cameraId) {
    Check.oneOf(key + ".via", via, "folder", "folder", "sftp");
    if (!isSftp()) {
      if (user != null || passwordFile != null || authorizedKeysFile != null) {
        throw new ConfigException(
            key + ": user, passwordFile and authorizedKeysFile need via: sftp");
      }
      return;
    }
    if (passwordFile == null && authorizedKeysFile == null) {
      throw new ConfigException(
          key + ": via: sftp needs passwordFile or authorizedKeysFile (or both)");
    }
    if (user != null && !user.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException(key + ".user: 1-64 of A-Z a-z 0-9 . _ -");
    }
    if (passwordFile != null && passwordFile.isBlank()) {
      throw new ConfigException(key + ".passwordFile: empty path");
    }
    if (authorizedKeysFile != null && authorizedKeysFile.isBlank()) {
      throw new ConfigException(key + ".authorizedKeysFile: empty path");
    }
  }
}
