package io.lineinspect.app.admin;

import io.lineinspect.core.config.AdminConfig;
import io.lineinspect.core.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The admin credentials (bearer tokens, see {@link AdminAuth}): the engineer's is {@code
 * admin.token}, else the content of {@code admin.tokenFile}; the other roles' are the contents of
 * their files. The service creates a missing file (random, owner-only).
 */
public final class AdminToken {
  private AdminToken() {}

  /**
   * @param create make the token file when it does not exist (the service); the CLI only reads
   * @throws ConfigException when there is no token (and none may be created) or it cannot be read
   */
  public static String resolve(AdminConfig config, Path home, boolean create) {
    if (config.token() != null) {
      return config.token().strip();
    }
    return resolveFile("admin.tokenFile", config.tokenFile(), home, create);
  }

  /**
   * The token in {@code name} (relative to {@code home}), made when missing if {@code create}.
   *
   * @param key the configuration key naming the file, for errors
   */
  static String resolveFile(String key, String name, Path home, boolean create) {
    Path file = home.resolve(name);
    try {
      if (Files.isRegularFile(file)) {
        String t = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (t.length() < 16) {
          throw new ConfigException(
              key + ": " + file + " holds fewer than 16 characters; put a longer token in");
        }
        return t;
      }
      if (!create) {
        throw new ConfigException(
            key
                + ": "
                + file
                + " does not exist yet: the service creates it at its first start (or set"
                + " admin.token)");
      }
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String t = HexFormat.of().formatHex(random);
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, t + "\n", StandardCharsets.UTF_8);
      return t;
    } catch (IOException e) {
      throw new ConfigException(key + ": " + file + ": " + e.getMessage(), e);
    }
  }
}
