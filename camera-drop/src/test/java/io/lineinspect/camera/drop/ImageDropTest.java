package io.lineinspect.camera.drop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictListener;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image drop in front of a real pipeline, uploads by a real SFTP client (JSch) and files put
 * into a hot folder: each image judged through the same path as a camera frame (the pipeline's
 * listener sees it), its result sidecar written, partial uploads never judged, bad files failed
 * safe and recorded, credentials and the quota enforced.
 */
class ImageDropTest {
  private static final String PASSWORD = "correct-horse-battery";

  @TempDir Path home;

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private InspectionPipeline pipeline;
  private ImageDrop drop;
  private byte[] jpeg;
  private byte[] png;
  private KeyPair cameraKey;

  @BeforeEach
  void start() throws Exception {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        img.setRGB(x, y, (x * 30) << 16 | (y * 30) << 8 | 90);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", out);
    jpeg = out.toByteArray();
    out.reset();
    ImageIO.write(img, "png", out);
    png = out.toByteArray();

    Files.writeString(home.resolve("cam-s.password"), PASSWORD + "\n");
    cameraKey = KeyPair.genKeyPair(new JSch(), KeyPair.ECDSA, 256);
    ByteArrayOutputStream pub = new ByteArrayOutputStream();
    cameraKey.writePublicKey(pub, "cam-k");
    Files.write(home.resolve("cam-k.keys"), pub.toByteArray());

    VerdictListener listener =
        new VerdictListener() {
          @Override
          public void onVerdict(VerdictView v) {
            seen.add(v.cameraId() + "#" + v.sequence() + ":" + v.reason());
          }
        };
    pipeline =
        new InspectionPipeline(
            new PipelineConfig(256, 1, 8, 1.0, 1024),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            new ScriptedBackend(8),
            listener,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    DropConfig config =
        new DropConfig(
            true,
            "drop",
            1L << 20,
            null,
            10,
            100,
            new DropSftpConfig(true, "127.0.0.1", 0, "host.key"),
            Map.of(
                "cam-s", new DropCameraConfig("sftp", null, "cam-s.password", null),
                "cam-k", new DropCameraConfig("sftp", "keycam", null, "cam-k.keys"),
                "cam-f", new DropCameraConfig(null, null, null, null)));
    drop = new ImageDrop(config, home, 36_000_000, pipeline, NanoClock.SYSTEM, Thread::new);
    drop.start();
  }

  @AfterEach
  void stop() {
    if (drop != null) {
      drop.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
  }

  private Session session(String user, String password, KeyPair key) throws JSchException {
    JSch jsch = new JSch();
    if (key != null) {
      ByteArrayOutputStream priv = new ByteArrayOutputStream();
      key.writePrivateKey(priv);
      jsch.addIdentity("camera", priv.toByteArray(), null, null);
    }
    Session s = jsch.getSession(user, "127.0.0.1", drop.sftpPort());
    s.setConfig("StrictHostKeyChecking", "no");
    s.setConfig("PreferredAuthentications", key != null ? "publickey" : "password");
    if (password != null) {
      s.setPassword(password);
    }
    s.connect(5_000);
    return s;
  }

  private static ChannelSftp sftp(Session s) throws JSchException {
    ChannelSftp c = (ChannelSftp) s.openChannel("sftp");
    c.connect(5_000);
    return c;
  }

  private static void await(BooleanSupplier done, String what) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() - until < 0, "timed out waiting: " + what);
      Thread.sleep(5);
    }
  }

  /** The result sidecar of {@code name} as read back over SFTP, once it exists. */
  private static String result(ChannelSftp c, String name) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (java.io.InputStream in = c.get(name + ".result.json")) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (SftpException e) {
        assertTrue(System.nanoTime() - until < 0, "no result file for " + name + ": " + e);
        Thread.sleep(10);
      }
    }
  }

  private static String field(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]+)").matcher(json);
    assertTrue(m.find(), key + " missing in " + json);
    String v = m.group(1);
    return v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
  }

  private static void put(ChannelSftp c, String name, byte[] data) throws Exception {
    try (OutputStream out = c.put(name)) {
      out.write(data);
    }
  }

  @Test
  void shouldJudgeAnUploadedImageLikeAFrameAndWriteItsResult() throws Exception {
    Session s = session("cam-s", PASSWORD, null);
    try {
      ChannelSftp c = sftp(s);
      put(c, "part-17.jpg", jpeg);
      put(c, "line2_000018.png", png);
      String r = result(c, "part-17.jpg");
      assertEquals("cam-s", field(r, "camera"));
      assertEquals("17", field(r, "sequence"));
      assertEquals("part-17.jpg", field(r, "file"));
      assertEquals("false", field(r, "failSafe"), r);
      assertEquals("NONE", field(r, "reason"));
      assertEquals("scripted", field(r, "model"));
      assertEquals("FAIL", field(r, "verdict"), "first byte 0xFF scores 1.0 with the test model");
      assertTrue(r.endsWith("}\n"), r);
      String r2 = result(c, "line2_000018.png");
      assertEquals("18", field(r2, "sequence"));
      assertEquals("NONE", field(r2, "reason"));
      await(() -> drop.resultsWritten() == 2, "both results");
      assertFalse(Files.exists(drop.directory("cam-s").resolve("part-17.jpg")), "image removed");
      assertEquals(List.of("cam-s#17:NONE", "cam-s#18:NONE"), seen);
      c.disconnect();
    } finally {
      s.disconnect();
    }
    // A camera with a public key instead of a password.
    Session k = session("keycam", null, cameraKey);
    try {
      ChannelSftp c = sftp(k);
      put(c, "3.jpg", jpeg);
      assertEquals("cam-k", field(result(c, "3.jpg"), "camera"));
      assertEquals(3, drop.images());
    } finally {
      k.disconnect();
    }
  }

  @Test
  void shouldRefuseWrongCredentials() throws Exception {
    assertThrows(JSchException.class, () -> session("cam-s", PASSWORD + "x", null));
    assertThrows(JSchException.class, () -> session("cam-s", "", null));
    assertThrows(JSchException.class, () -> session("nobody", PASSWORD, null));
    assertThrows(JSchException.class, () -> session("cam-f", PASSWORD, null), "a folder camera");
    assertThrows(JSchException.class, () -> session("cam-s", null, cameraKey), "not its key");
    KeyPair other = KeyPair.genKeyPair(new JSch(), KeyPair.ECDSA, 256);
    assertThrows(JSchException.class, () -> session("keycam", null, other));
    assertEquals(0, drop.images());
    assertTrue(seen.isEmpty());
  }

  @Test
  void shouldNeverJudgeAPartialUpload() throws Exception {
    Session s = session("cam-s", PASSWORD, null);
    ChannelSftp c = sftp(s);
    OutputStream out = c.put("part-40.jpg");
    out.write(jpeg, 0, jpeg.length / 2);
    out.flush();
    await(
        () -> Files.exists(drop.directory("cam-s").resolve("part-40.jpg")),
        "the first half on the server");
    s.disconnect(); // mid-upload, without closing the file
    await(() -> drop.partialUploads() == 1, "the partial upload to be noticed");
    assertFalse(Files.exists(drop.directory("cam-s").resolve("part-40.jpg")), "removed");

    // Under a temporary name nothing is judged until the rename.
    Session s2 = session("cam-s", PASSWORD, null);
    try {
      ChannelSftp c2 = sftp(s2);
      put(c2, "part-41.jpg.part", jpeg);
      Thread.sleep(300);
      assertEquals(0, drop.images(), "a .part file is not judged");
      c2.rename("part-41.jpg.part", "part-41.jpg");
      assertEquals("41", field(result(c2, "part-41.jpg"), "sequence"));
    } finally {
      s2.disconnect();
    }
    assertEquals(List.of("cam-s#41:NONE"), seen, "the partial upload never reached the pipeline");
  }

  @Test
  void shouldFailSafeAndRecordABadFile() throws Exception {
    Session s = session("cam-s", PASSWORD, null);
    try {
      ChannelSftp c = sftp(s);
      put(c, "part-5.jpg", "not a jpeg at all".getBytes(StandardCharsets.US_ASCII));
      put(c, "part-6.jpg", Arrays.copyOf(jpeg, jpeg.length - 40)); // truncated, fully uploaded
      put(c, "part-7.png", new byte[0]);
      put(c, "no-number.jpg", jpeg);
      for (String name : List.of("part-5.jpg", "part-6.jpg", "part-7.png")) {
        String r = result(c, name);
        assertEquals("true", field(r, "failSafe"), r);
        assertEquals("BAD_IMAGE", field(r, "reason"), r);
        assertEquals("FAIL", field(r, "verdict"), "the line's fail-safe verdict");
        assertEquals("null", field(r, "score"), r);
        assertFalse(field(r, "detail").isEmpty(), r);
      }
      assertEquals(
          List.of("cam-s#5:BAD_IMAGE", "cam-s#6:BAD_IMAGE", "cam-s#7:BAD_IMAGE"),
          seen,
          "each bad file is recorded like any verdict");
      await(() -> drop.unrecognisedFiles() == 1, "the file without a part identity");
      assertTrue(
          Files.exists(drop.directory("cam-s").resolve("rejected").resolve("no-number.jpg")));
      assertEquals(2, drop.badFiles(), "empty and undecodable found by the drop itself");
    } finally {
      s.disconnect();
    }
  }

  @Test
  void shouldRefuseAnUploadAboveTheQuota() throws Exception {
    Session s = session("cam-s", PASSWORD, null);
    try {
      ChannelSftp c = sftp(s);
      byte[] big = new byte[(1 << 20) + 4096];
      assertThrows(Exception.class, () -> put(c, "part-90.jpg", big));
      await(() -> drop.partialUploads() == 1, "the refused upload removed");
      assertTrue(drop.quotaRefusals() >= 1);
      assertFalse(Files.exists(drop.directory("cam-s").resolve("part-90.jpg")));
      assertEquals(0, drop.images());
      // Space is back once the refused upload is gone (the quota is measured every second).
      Thread.sleep(1_100);
      put(c, "part-91.jpg", jpeg);
      assertEquals("91", field(result(c, "part-91.jpg"), "sequence"));
    } finally {
      s.disconnect();
    }
    assertEquals(List.of("cam-s#91:NONE"), seen);
  }

  @Test
  void shouldSetAsideAnUploadLeftFromBeforeARestart() throws Exception {
    drop.close();
    Path left = drop.directory("cam-s").resolve("part-60.jpg");
    Files.write(left, Arrays.copyOf(jpeg, jpeg.length / 2)); // a crash mid-upload looks like this
    drop.start();
    assertEquals(1, drop.leftoverFiles());
    assertFalse(Files.exists(left));
    assertTrue(Files.exists(drop.directory("cam-s").resolve("rejected").resolve("part-60.jpg")));
    Thread.sleep(200);
    assertEquals(0, drop.images(), "never judged");
    assertTrue(seen.isEmpty());
  }

  @Test
  void shouldJudgeAHotFolderFileOnceItIsCompleteAndSettled() throws Exception {
    Path dir = drop.directory("cam-f");
    Path tmp = dir.resolve(".part-9.png.tmp");
    Files.write(tmp, Arrays.copyOf(png, 10));
    Thread.sleep(200);
    assertEquals(0, drop.images(), "a temporary name is never taken");
    Files.write(tmp, png);
    Files.move(tmp, dir.resolve("part-9.png"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Path result = dir.resolve("part-9.png.result.json");
    await(() -> Files.exists(result), "the hot folder result");
    String r = Files.readString(result);
    assertEquals("cam-f", field(r, "camera"));
    assertEquals("NONE", field(r, "reason"));
    assertFalse(Files.exists(dir.resolve("part-9.png")));
    assertEquals(List.of("cam-f#9:NONE"), seen);
  }
}
