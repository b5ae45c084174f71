package io.lineinspect.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code ingest.cameras} as the loader binds it: every mistake names its key, never the secret. */
class CameraCredentialConfigTest {
  private static final String MINIMAL =
      "line:\n  name: l1\n  budgetMs: 40\ninference:\n  backend: builtin\n";
  private static final String SECRET = "00112233445566778899aabbccddeeff";

  private static String error(String cameras) {
    return assertThrows(
            ConfigException.class,
            () -> ConfigLoader.parse(MINIMAL + "ingest:\n  cameras:\n" + cameras, "test.yaml"))
        .getMessage();
  }

  @Test
  void shouldBindEachCamerasCredentialAndLeaveThePortOpenWithoutTheKey() {
    assertNull(ConfigLoader.parse(MINIMAL, "test.yaml").ingest().cameras(), "absent: open port");
    ServiceConfig c =
        ConfigLoader.parse(
            MINIMAL
                + "ingest:\n  cameras:\n    cam-1: {secret: "
                + SECRET
                + "}\n    cam-2: {secretFile: var/cam-2.key}\n    cam:3: {tokenless: true}\n",
            "test.yaml");
    var cameras = c.ingest().cameras();
    assertEquals(
        java.util.List.of("cam-1", "cam-2", "cam:3"), java.util.List.copyOf(cameras.keySet()));
    assertEquals(SECRET, cameras.get("cam-1").secret());
    assertEquals("var/cam-2.key", cameras.get("cam-2").secretFile());
    assertTrue(cameras.get("cam:3").tokenless());
    assertFalse(cameras.get("cam-1").tokenless());
    assertEquals(cameras, c.ingest().listeningOn("127.0.0.1", 0).cameras(), "kept by the demo");
  }

  @Test
  void shouldBindACertificateCnOnlyWithMutualTls() {
    String m = error("    cam-1: {tokenless: true, certificateCn: cam-1}\n");
    assertEquals(
        "test.yaml: ingest.cameras.cam-1.certificateCn: binds the camera to its client"
            + " certificate, which needs mutual TLS (ingest.tls.enabled: true and"
            + " ingest.tls.clientCaFile)",
        m);
    ServiceConfig c =
        ConfigLoader.parse(
            MINIMAL
                + "ingest:\n  tls: {enabled: true, certFile: s.pem, keyFile: s.key,"
                + " clientCaFile: ca.pem}\n  cameras:\n    cam-1: {tokenless: true,"
                + " certificateCn: cam-1.line-4}\n",
            "test.yaml");
    assertEquals("cam-1.line-4", c.ingest().cameras().get("cam-1").certificateCn());
    assertTrue(
        error("    cam-1: {tokenless: true, certificateCn: ''}\n").contains("certificateCn"));
  }

  @Test
  void shouldNameTheCameraOfABadSecretWithoutShowingIt() {
    String m = error("    cam-1: {secret: 0011zz33445566778899aabbccddeeff}\n");
    assertEquals(
        "test.yaml: ingest.cameras.cam-1.secret: must be an even number of at least 32 hex digits"
            + " (16 bytes); got 32 characters",
        m);
    assertFalse(m.contains("0011zz"), m);
    m = error("    cam-1: {secret: abc}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.cam-1.secret: must be an even"), m);
    m = error("    cam-1: {secret: " + "ab".repeat(1025) + "}\n");
    assertEquals(
        "test.yaml: ingest.cameras.cam-1.secret: at most 2048 hex digits (1024 bytes, the longest"
            + " HELLO token); got 2050 characters",
        m);
    ConfigLoader.parse(
        MINIMAL + "ingest:\n  cameras:\n    cam-1: {secret: " + "ab".repeat(1024) + "}\n",
        "test.yaml");
  }

  @Test
  void shouldRefuseSeveralOrNoneOfSecretSecretFileAndTokenless() {
    String m = error("    cam-1: {secret: " + SECRET + ", secretFile: k}\n");
    assertEquals(
        "test.yaml: ingest.cameras.cam-1: give exactly one of secret, secretFile or tokenless: true"
            + " (got several)",
        m);
    m = error("    cam-1: {secretFile: k, tokenless: true}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.cam-1") && m.contains("several"), m);
    m = error("    cam-1: {tokenless: false}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.cam-1") && m.contains("(got none)"), m);
    m = error("    cam-1:\n");
    assertEquals(
        "test.yaml: ingest.cameras.cam-1: give exactly one of secret, secretFile or tokenless: true"
            + " (got none)",
        m);
  }

  @Test
  void shouldNameAnUnknownKeyAnInvalidIdAndAnEmptySection() {
    String m = error("    cam-1: {secrett: " + SECRET + "}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.cam-1.secrett: unknown key"), m);
    assertTrue(m.contains("secret, secretFile, tokenless"), m);
    m = error("    ../etc: {tokenless: true}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.../etc: not a camera id"), m);
    m = error("    .hidden: {tokenless: true}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras..hidden: not a camera id"), m);
    m =
        assertThrows(
                ConfigException.class,
                () -> ConfigLoader.parse(MINIMAL + "ingest:\n  cameras: {}\n", "test.yaml"))
            .getMessage();
    assertTrue(m.startsWith("test.yaml: ingest.cameras: empty"), m);
    m = error("    cam-1: {tokenless: true}\n    cam-1: {tokenless: true}\n");
    assertTrue(m.startsWith("test.yaml: ingest.cameras.cam-1: key given twice"), m);
  }
}
