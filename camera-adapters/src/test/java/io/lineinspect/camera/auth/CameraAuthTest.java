package io.lineinspect.camera.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.auth.CameraAuth.Decision;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CameraAuthTest {
  private static final String SECRET = "00112233445566778899aabbccddeeff";
  private static final byte[] TOKEN = HexFormat.of().parseHex(SECRET);

  @Test
  void withoutConfiguredCamerasEveryIdIsAcceptedAndTheTokenIgnored() {
    CameraAuth auth = CameraAuth.open();
    assertFalse(auth.enforced());
    assertEquals(Decision.ACCEPTED, auth.check("anyone", new byte[0]));
    assertEquals(Decision.ACCEPTED, auth.check("cam-1", new byte[1024]));
  }

  @Test
  void aConfiguredCameraNeedsExactlyItsSecret(@TempDir Path home) throws Exception {
    Files.writeString(home.resolve("cam-2.key"), "  ffeeddccbbaa99887766554433221100\n");
    CameraAuth auth =
        CameraAuth.of(
            Map.of(
                "cam-1", new CameraCredentialConfig(SECRET, null, null),
                "cam-2", new CameraCredentialConfig(null, "cam-2.key", null),
                "cam-9", new CameraCredentialConfig(null, null, true)),
            home);
    assertTrue(auth.enforced());
    assertEquals(Decision.ACCEPTED, auth.check("cam-1", TOKEN));
    assertEquals(
        Decision.ACCEPTED,
        auth.check("cam-2", HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100")));
    assertEquals(Decision.REFUSED, auth.check("cam-2", TOKEN), "another camera's secret");
    byte[] wrong = TOKEN.clone();
    wrong[15] ^= 1;
    assertEquals(Decision.REFUSED, auth.check("cam-1", wrong), "one bit off");
    assertEquals(Decision.REFUSED, auth.check("cam-1", new byte[0]), "no token");
    assertEquals(
        Decision.REFUSED, auth.check("cam-1", java.util.Arrays.copyOf(TOKEN, 15)), "a prefix");
    assertEquals(
        Decision.REFUSED, auth.check("cam-1", java.util.Arrays.copyOf(TOKEN, 17)), "one more byte");
    assertEquals(Decision.REFUSED, auth.check("cam-3", TOKEN), "an unknown id, any token");
    assertEquals(Decision.ACCEPTED_WITHOUT_TOKEN, auth.check("cam-9", new byte[0]));
    assertEquals(Decision.REFUSED, auth.check("cam-9", TOKEN), "tokenless means no token");
    assertEquals(java.util.List.of("cam-9"), auth.tokenlessCameras());
  }

  @Test
  void aBadSecretIsAConfigurationErrorThatNeverShowsTheSecret(@TempDir Path home) throws Exception {
    String m =
        assertThrows(ConfigException.class, () -> new CameraCredentialConfig("abc123", null, null))
            .getMessage();
    assertEquals(
        "secret: must be an even number of at least 32 hex digits (16 bytes); got 6 characters", m);
    m =
        assertThrows(ConfigException.class, () -> new CameraCredentialConfig(SECRET, "f", null))
            .getMessage();
    assertTrue(m.startsWith("give exactly one of secret, secretFile or tokenless"), m);
    m =
        assertThrows(
                ConfigException.class,
                () ->
                    CameraAuth.of(
                        Map.of("cam-1", new CameraCredentialConfig(null, "missing.key", null)),
                        home))
            .getMessage();
    assertTrue(m.startsWith("ingest.cameras.cam-1.secretFile: cannot read "), m);
    Files.writeString(home.resolve("short.key"), "secret-word");
    m =
        assertThrows(
                ConfigException.class,
                () ->
                    CameraAuth.of(
                        Map.of("cam-1", new CameraCredentialConfig(null, "short.key", null)), home))
            .getMessage();
    assertTrue(m.startsWith("ingest.cameras.cam-1.secretFile ("), m);
    assertFalse(m.contains("secret-word"), m);
  }
}
