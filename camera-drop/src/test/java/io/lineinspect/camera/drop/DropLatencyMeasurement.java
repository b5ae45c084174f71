package io.lineinspect.camera.drop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.pipeline.InspectionPipeline;
import io.lineinspect.core.testing.ScriptedBackend;
import io.lineinspect.core.time.NanoClock;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the image drop adds between a camera and the ring: one 640×480 JPEG at a time, over SFTP
 * (upload time, close → publish, close → result file) and through the hot folder (rename → result
 * file). Prints figures; asserts only that every image got its result. Not part of the normal run:
 *
 * <pre>
 * flock /tmp/build.lock ./mvnw -B -o -pl camera-drop -am test -Dtest=DropLatencyMeasurement \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dmeasure.drop=true
 * </pre>
 */
@EnabledIfSystemProperty(named = "measure.drop", matches = "true")
class DropLatencyMeasurement {
  private static final int WARM = 30;
  private static final int N = 300;
  private static final Pattern LATENCY = Pattern.compile("\"latencyUs\":(\\d+)");

  @TempDir Path home;

  @Test
  void measure() throws Exception {
    BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_3BYTE_BGR);
    Random r = new Random(1);
    for (int y = 0; y < 480; y++) {
      for (int x = 0; x < 640; x++) {
        img.setRGB(x, y, ((x / 8 + y / 8) % 2 == 0 ? 0x604020 : 0xA0C0E0) ^ r.nextInt(0x10));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", out);
    byte[] jpeg = out.toByteArray();
    Files.writeString(home.resolve("pw"), "measure-password-1234");
    InspectionPipeline pipeline =
        new InspectionPipeline(
            new PipelineConfig(256, 1, 8, 1.0, 1 << 20),
            TimeUnit.SECONDS.toNanos(10),
            Verdict.FAIL,
            new ScriptedBackend(8),
            null,
            NanoClock.SYSTEM,
            Thread::new);
    pipeline.start();
    DropConfig config =
        new DropConfig(
            true,
            "drop",
            1L << 30,
            null,
            10,
            0,
            new DropSftpConfig(true, "127.0.0.1", 0, "host.key"),
            Map.of(
                "cam-s", new DropCameraConfig("sftp", null, "pw", null),
                "cam-f", new DropCameraConfig(null, null, null, null)));
    ImageDrop drop =
        new ImageDrop(config, home, 36_000_000, pipeline, NanoClock.SYSTEM, Thread::new);
    drop.start();
    try {
      Session s = new JSch().getSession("cam-s", "127.0.0.1", drop.sftpPort());
      s.setConfig("StrictHostKeyChecking", "no");
      s.setPassword("measure-password-1234");
      s.connect(5_000);
      ChannelSftp c = (ChannelSftp) s.openChannel("sftp");
      c.connect(5_000);
      double[] upload = new double[N];
      double[] closeToResult = new double[N];
      double[] service = new double[N];
      Path sdir = drop.directory("cam-s");
      for (int i = 0; i < WARM + N; i++) {
        String name = "p-" + (i + 1) + ".jpg";
        long t0 = System.nanoTime();
        try (OutputStream o = c.put(name)) {
          o.write(jpeg);
        }
        long t1 = System.nanoTime();
        Path res = sdir.resolve(name + ".result.json");
        String json = awaitResult(res);
        long t2 = System.nanoTime();
        if (i >= WARM) {
          upload[i - WARM] = (t1 - t0) / 1e6;
          closeToResult[i - WARM] = (t2 - t1) / 1e6;
          service[i - WARM] = latencyMs(json);
        }
      }
      long sftpLagNs = drop.meanPublishLagNs();
      long sftpLagMaxNs = drop.maxPublishLagNs();
      s.disconnect();
      double[] renameToResult = new double[N];
      double[] fservice = new double[N];
      Path fdir = drop.directory("cam-f");
      for (int i = 0; i < WARM + N; i++) {
        String name = "f-" + (i + 1) + ".jpg";
        Path tmp = fdir.resolve(".tmp-" + name);
        Files.write(tmp, jpeg);
        long t0 = System.nanoTime();
        Files.move(tmp, fdir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        String json = awaitResult(fdir.resolve(name + ".result.json"));
        long t2 = System.nanoTime();
        if (i >= WARM) {
          renameToResult[i - WARM] = (t2 - t0) / 1e6;
          fservice[i - WARM] = latencyMs(json);
        }
      }
      assertEquals(2L * (WARM + N), drop.resultsWritten());
      System.out.printf(
          "drop latency, %d-byte 640x480 JPEG, one at a time, %d images each (ms p50 / p99):%n",
          jpeg.length, N);
      System.out.printf(
          "  SFTP upload (put..close)      %s%n  SFTP close -> result file     %s%n"
              + "  service time (latencyUs)      %s%n  SFTP close -> publish (mean/max) %.3f / %.3f%n",
          p(upload), p(closeToResult), p(service), sftpLagNs / 1e6, sftpLagMaxNs / 1e6);
      System.out.printf(
          "  hot folder rename -> result   %s (pollMs 10, settleMs 0)%n  service time (latencyUs)      %s%n",
          p(renameToResult), p(fservice));
    } finally {
      drop.close();
      pipeline.close();
    }
  }

  private static String awaitResult(Path res) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(res)) {
      assertTrue(System.nanoTime() - until < 0, "no result " + res);
      LockSupport.parkNanos(100_000);
    }
    return Files.readString(res);
  }

  private static double latencyMs(String json) {
    Matcher m = LATENCY.matcher(json);
    assertTrue(m.find(), json);
    return Long.parseLong(m.group(1)) / 1e3;
  }

  private static String p(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return String.format(
        "%.3f / %.3f", s[s.length / 2], s[Math.min(s.length - 1, (int) (s.length * 0.99))]);
  }
}
