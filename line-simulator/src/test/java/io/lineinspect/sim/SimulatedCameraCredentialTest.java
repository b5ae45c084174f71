package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.ingest.LoopbackServer;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.PipelineConfig;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.testing.CountingBuiltinBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulated cameras against a service with {@code ingest.cameras} (the real server on loopback, the
 * builtin backend judging): with the right secret, read from a {@code --secret-file} or a {@code
 * --credentials} map, every frame gets its judged verdict; with a wrong secret or none the camera
 * is refused with AUTHENTICATION_FAILED at HELLO.
 */
class SimulatedCameraCredentialTest {
  private static final String SECRET = "9f86d081884c7d659a2feaa0c55ad015";
  private static final String OTHER = "00112233445566778899aabbccddeeff";
  private static final SimulatedCamera.Settings SETTINGS =
      new SimulatedCamera.Settings(64, 64, PixelFormat.MONO8, 100, 0.3, 7);

  @TempDir Path dir;
  private LoopbackServer line;

  @BeforeEach
  void start() throws Exception {
    line =
        LoopbackServer.of(
                new PipelineConfig(256, 1, 8, 1.0, 8192), 500, new CountingBuiltinBackend())
            .ingest(
                LoopbackServer.ingest(1 << 20)
                    .withCameras(
                        Map.of(
                            "cam-1", new CameraCredentialConfig(SECRET, null, null),
                            "cam-2", new CameraCredentialConfig(OTHER, null, null))))
            .start();
  }

  @AfterEach
  void stop() {
    line.close();
  }

  private Path file(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  /** Runs {@code cameraId} for half a second; returns its stats after the last verdict. */
  private SimStats.Snapshot drive(String cameraId, CameraSecrets secrets) throws Exception {
    SimStats stats = new SimStats();
    try (SimulatedCamera cam =
        new SimulatedCamera(
            "127.0.0.1",
            line.port(),
            cameraId,
            SETTINGS,
            stats,
            null,
            secrets.tokenFor(cameraId))) {
      Thread.sleep(500);
      cam.stopSending();
      assertTrue(cam.awaitLastVerdict(5_000), "the last frame got its verdict");
      assertEquals(null, cam.fatalError());
    }
    return stats.snapshot();
  }

  private static void assertAllJudged(SimStats.Snapshot s) {
    assertTrue(s.sent() > 10, "frames were sent: " + s.sent());
    assertEquals(0, s.withoutVerdict(), "every frame got a verdict");
    assertEquals(0, s.failSafe(), "every verdict was judged: " + s.byReason());
    assertEquals(s.sent(), s.judged());
  }

  @Test
  void shouldGetJudgedVerdictsWithTheRightSecretFromASecretFile() throws Exception {
    assertAllJudged(drive("cam-1", CameraSecrets.fromSecretFile(file("k", "  " + SECRET + "\n"))));
  }

  @Test
  void shouldGetJudgedVerdictsForEachCameraFromACredentialsMap() throws Exception {
    CameraSecrets map =
        CameraSecrets.fromCredentialsFile(
            file("c.yaml", "cam-1: " + SECRET + "\ncam-2: \"" + OTHER + "\"\n"));
    assertAllJudged(drive("cam-1", map));
    assertAllJudged(drive("cam-2", map));
  }

  @Test
  void shouldBeRefusedWithAuthenticationFailedForAWrongSecretOrNone() throws Exception {
    for (CameraSecrets wrong :
        new CameraSecrets[] {
          CameraSecrets.fromSecretFile(file("wrong", OTHER)),
          CameraSecrets.none(),
          CameraSecrets.same(SECRET.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        }) {
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  new SimulatedCamera(
                          "127.0.0.1",
                          line.port(),
                          "cam-1",
                          SETTINGS,
                          new SimStats(),
                          null,
                          wrong.tokenFor("cam-1"))
                      .close());
      assertTrue(
          e.getMessage().contains("AUTHENTICATION_FAILED"), "refused at HELLO: " + e.getMessage());
    }
    // The refusals held nothing: the camera with its secret still gets in.
    assertAllJudged(drive("cam-1", CameraSecrets.same(java.util.HexFormat.of().parseHex(SECRET))));
  }

  @Test
  void shouldNameTheFileAndIdButNeverTheSecretWhenSecretsAreUnusable() throws Exception {
    IllegalArgumentException odd =
        assertThrows(
            IllegalArgumentException.class,
            () -> CameraSecrets.fromSecretFile(file("odd", SECRET.substring(1))));
    assertTrue(odd.getMessage().contains("--secret-file"), odd.getMessage());
    assertFalse(odd.getMessage().contains(SECRET.substring(1)), odd.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> CameraSecrets.fromSecretFile(dir.resolve("absent")));
    assertTrue(missing.getMessage().contains("cannot read"), missing.getMessage());
    IllegalArgumentException shortOne =
        assertThrows(
            IllegalArgumentException.class,
            () -> CameraSecrets.fromCredentialsFile(file("s.yaml", "cam-1: abcd\n")));
    assertTrue(shortOne.getMessage().contains("cam-1"), shortOne.getMessage());
    assertFalse(shortOne.getMessage().contains("abcd"), shortOne.getMessage());
    CameraSecrets map = CameraSecrets.fromCredentialsFile(file("c.yaml", "cam-1: " + SECRET));
    IllegalArgumentException unlisted =
        assertThrows(IllegalArgumentException.class, () -> map.tokenFor("cam-9"));
    assertTrue(unlisted.getMessage().contains("cam-9"), unlisted.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> CameraSecrets.fromCredentialsFile(file("list.yaml", "- " + SECRET)));
  }
}
