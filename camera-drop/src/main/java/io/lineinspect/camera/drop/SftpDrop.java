package io.lineinspect.camera.drop;

import io.lineinspect.core.time.NanoClock;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.Handle;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * The embedded SFTP server (Apache MINA SSHD) for smart cameras that upload each image: one user
 * per camera (password and/or public key, secrets read from files at start), each locked into its
 * own drop directory (it sees {@code /} = {@code <drop.dir>/<id>/}), SFTP only (no shell, no
 * commands, no forwarding).
 *
 * <p>An upload counts as complete only when the camera closes the file it wrote (SSH_FXP_CLOSE) or
 * renames a file into its final name; then it is handed to {@link ImageDrop#submit}. An upload the
 * server had to close itself (the connection dropped) or that failed (quota) is removed and never
 * judged.
 *
 * <p>Threads: MINA's I/O and SFTP threads call the listener; everything shared is concurrent.
 */
final class SftpDrop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SftpDrop.class.getName());

  /** One SFTP user: the camera it speaks for and where its files go. */
  record Camera(String cameraId, Path dir, DropCameraConfig config) {}

  private final DropSftpConfig config;
  private final Path home;
  private final Map<String, Camera> users;
  private final ImageDrop drop;
  private final NanoClock clock;
  private final Map<String, byte[]> passwords = new ConcurrentHashMap<>();
  private final Map<String, AuthorizedKeysAuthenticator> keys = new ConcurrentHashMap<>();
  private final Map<Handle, Upload> uploads = new ConcurrentHashMap<>();
  private SshServer server;

  SftpDrop(
      DropSftpConfig config,
      Path home,
      Map<String, Camera> users,
      ImageDrop drop,
      NanoClock clock) {
    this.config = config;
    this.home = home;
    this.users = Map.copyOf(users);
    this.drop = drop;
    this.clock = clock;
  }

  /** Reads the secrets, starts listening; returns the bound port. */
  int start() throws IOException {
    for (Map.Entry<String, Camera> e : users.entrySet()) {
      String key = "drop.cameras." + e.getValue().cameraId();
      DropCameraConfig c = e.getValue().config();
      if (c.passwordFile() != null) {
        Path f = home.resolve(c.passwordFile());
        String pw;
        try {
          pw = Files.readString(f, StandardCharsets.UTF_8).strip();
        } catch (IOException ex) {
          throw new IOException(key + ".passwordFile: cannot read " + f + ": " + ex, ex);
        }
        if (pw.length() < 12) {
          throw new IOException(
              key + ".passwordFile: " + f + " holds fewer than 12 characters: too weak");
        }
        passwords.put(e.getKey(), pw.getBytes(StandardCharsets.UTF_8));
      }
      if (c.authorizedKeysFile() != null) {
        Path f = home.resolve(c.authorizedKeysFile());
        if (!Files.isReadable(f)) {
          throw new IOException(key + ".authorizedKeysFile: cannot read " + f);
        }
        keys.put(e.getKey(), new AuthorizedKeysAuthenticator(f));
      }
    }
    SshServer s = SshServer.setUpDefaultServer();
    s.setHost(config.host());
    s.setPort(config.port());
    Path hostKey = home.resolve(config.hostKeyFile());
    Files.createDirectories(hostKey.toAbsolutePath().getParent());
    SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(hostKey);
    hostKeys.setAlgorithm("EC");
    s.setKeyPairProvider(hostKeys);
    s.setPasswordAuthenticator(this::password);
    s.setPublickeyAuthenticator(this::publicKey);
    s.setKeyboardInteractiveAuthenticator(null);
    s.setGSSAuthenticator(null);
    s.setHostBasedAuthenticator(null);
    VirtualFileSystemFactory fs = new VirtualFileSystemFactory();
    for (Map.Entry<String, Camera> e : users.entrySet()) {
      fs.setUserHomeDir(e.getKey(), e.getValue().dir());
    }
    s.setFileSystemFactory(fs);
    SftpSubsystemFactory sftp = new SftpSubsystemFactory.Builder().build();
    sftp.addSftpEventListener(new Listener());
    s.setSubsystemFactories(List.of(sftp));
    s.setShellFactory(null);
    s.setCommandFactory(null);
    s.setForwardingFilter(org.apache.sshd.server.forward.RejectAllForwardingFilter.INSTANCE);
    s.start();
    server = s;
    return s.getPort();
  }

  private boolean password(String user, String password, ServerSession session) {
    byte[] expected = passwords.get(user);
    boolean ok =
        expected != null
            && MessageDigest.isEqual(expected, password.getBytes(StandardCharsets.UTF_8));
    if (!ok) {
      LOG.log(
          Level.WARNING,
          "SFTP drop: password refused for user {0} from {1}",
          user,
          session.getClientAddress());
    }
    return ok;
  }

  private boolean publicKey(String user, PublicKey key, ServerSession session) {
    AuthorizedKeysAuthenticator a = keys.get(user);
    return a != null && a.authenticate(user, key, session);
  }

  @Override
  public void close() {
    SshServer s = server;
    server = null;
    if (s != null) {
      try {
        s.stop(true);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "SFTP drop: stopping the server failed: " + e, e);
      }
    }
  }

  /** One file being written by a camera. */
  private final class Upload {
    final ServerSession session;
    final Camera camera;
    final Path file;
    private final java.util.concurrent.atomic.AtomicBoolean failed =
        new java.util.concurrent.atomic.AtomicBoolean();

    Upload(ServerSession session, Camera camera, Path file) {
      this.session = session;
      this.camera = camera;
      this.file = file;
    }

    /** The upload cannot complete: removed and counted once, never judged. */
    void fail(String why) {
      if (failed.compareAndSet(false, true)) {
        drop.onPartialUpload(camera.cameraId(), file, why);
      }
    }

    boolean failed() {
      return failed.get();
    }
  }

  /** Where a path the camera sees ({@code /x.jpg}) is on disk; null outside its top level. */
  private static Path real(Camera camera, Path virtual) {
    Path abs = virtual.toAbsolutePath().normalize();
    if (abs.getNameCount() != 1) {
      return null; // only files directly in the camera's directory are parts
    }
    return camera.dir().resolve(abs.getFileName().toString());
  }

  private final class Listener implements SftpEventListener {
    @Override
    public void open(ServerSession session, String remoteHandle, Handle handle) {
      Camera camera = users.get(session.getUsername());
      if (camera == null || !(handle instanceof FileHandle fh)) {
        return;
      }
      Set<StandardOpenOption> o = fh.getOpenOptions();
      if (o.contains(StandardOpenOption.WRITE) || o.contains(StandardOpenOption.APPEND)) {
        Path file = real(camera, handle.getFile());
        if (file != null) {
          uploads.put(handle, new Upload(session, camera, file));
        }
      }
    }

    @Override
    public void writing(
        ServerSession session,
        String remoteHandle,
        FileHandle handle,
        long offset,
        byte[] data,
        int dataOffset,
        int dataLen)
        throws IOException {
      Upload u = uploads.get(handle);
      if (u != null && u.failed()) {
        throw new IOException("this upload was refused already (quota): start it again");
      }
      if (drop.refuseForQuota(dataLen)) {
        if (u != null) {
          u.fail("drop.maxBytes quota reached");
        }
        throw new IOException("drop quota reached (drop.maxBytes): upload refused");
      }
    }

    @Override
    public void written(
        ServerSession session,
        String remoteHandle,
        FileHandle handle,
        long offset,
        byte[] data,
        int dataOffset,
        int dataLen,
        Throwable thrown) {
      if (thrown == null) {
        drop.onWritten(dataLen);
      } else {
        Upload u = uploads.get(handle);
        if (u != null) {
          u.fail("write failed: " + thrown);
        }
      }
    }

    @Override
    public void exiting(ServerSession session, Handle handle) {
      // The subsystem ends with this file still open: the connection went away mid-upload.
      Upload u = uploads.remove(handle);
      if (u != null) {
        u.fail("the connection ended before the camera closed the file");
      }
    }

    @Override
    public void destroying(ServerSession session) {
      // Whatever this session still had open when its SFTP subsystem ends was not completed.
      uploads
          .entrySet()
          .removeIf(
              e -> {
                if (e.getValue().session != session) {
                  return false;
                }
                e.getValue().fail("the connection ended before the camera closed the file");
                return true;
              });
    }

    @Override
    public void closed(
        ServerSession session, String remoteHandle, Handle handle, Throwable thrown) {
      Upload u = uploads.remove(handle);
      if (u == null) {
        return;
      }
      if (u.failed()) {
        return;
      }
      if (thrown != null) {
        u.fail("close failed: " + thrown);
        return;
      }
      if (!ImageDrop.isTemporary(u.file.getFileName().toString())) {
        drop.submit(u.camera.cameraId(), u.file, clock.nanoTime());
      }
    }

    @Override
    public void moved(
        ServerSession session,
        Path srcPath,
        Path dstPath,
        Collection<java.nio.file.CopyOption> opts,
        Throwable thrown) {
      Camera camera = users.get(session.getUsername());
      if (camera == null || thrown != null) {
        return;
      }
      Path file = real(camera, dstPath);
      if (file != null && !ImageDrop.isTemporary(file.getFileName().toString())) {
        drop.submit(camera.cameraId(), file, clock.nanoTime());
      }
    }
  }
}
