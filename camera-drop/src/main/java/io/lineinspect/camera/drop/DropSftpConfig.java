package io.lineinspect.camera.drop;

import io.lineinspect.core.config.Check;

/**
 * {@code drop.sftp}: the embedded SFTP server (Apache MINA SSHD) that smart cameras upload to.
 *
 * @param enabled run it (default false)
 * @param host the address to listen on (default 127.0.0.1)
 * @param port the port (default 2222; 0 picks a free one, for tests)
 * @param hostKeyFile the server's host key, relative to the install (default {@code
 *     var/drop-host.key}); created on the first start when missing, then kept so cameras that
 *     pinned it keep trusting it
 */
public record DropSftpConfig(Boolean enabled, String host, Integer port, String hostKeyFile) {
  public DropSftpConfig {
    enabled = enabled != null && enabled;
    host = Check.text("drop.sftp.host", host, "127.0.0.1");
    port = Check.intIn("drop.sftp.port", port, 2222, 0, 65_535);
    hostKeyFile = Check.text("drop.sftp.hostKeyFile", hostKeyFile, "var/drop-host.key");
  }

  public static DropSftpConfig defaults() {
    return new DropSftpConfig(null, null, null, null);
  }
}
