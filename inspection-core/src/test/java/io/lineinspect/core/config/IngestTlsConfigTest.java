package io.lineinspect.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ingest.tls} as the loader binds it: defaults, and every mistake naming its key. */
class IngestTlsConfigTest {
  private static final String MINIMAL =
      "line:\n  name: l1\n  budgetMs: 40\ninference:\n  backend: builtin\n";

  private static IngestTlsConfig parse(String tls) {
    return ConfigLoader.parse(MINIMAL + "ingest:\n  tls:\n" + tls, "test.yaml").ingest().tls();
  }

  private static String error(String tls) {
    return assertThrows(ConfigException.class, () -> parse(tls)).getMessage();
  }

  @Test
  void shouldBeOffByDefaultAndBindEveryKey() {
    IngestTlsConfig off = ConfigLoader.parse(MINIMAL, "test.yaml").ingest().tls();
    assertFalse(off.enabled());
    assertFalse(off.mutual());
    assertEquals(List.of("TLSv1.3"), off.protocols());
    assertEquals(1_000, off.handshakeTimeoutMs());

    IngestTlsConfig on =
        parse(
            "    enabled: true\n    certFile: etc/tls/server.pem\n    keyFile: etc/tls/server.key\n"
                + "    clientCaFile: etc/tls/cameras-ca.pem\n    protocols: [TLSv1.3, TLSv1.2]\n"
                + "    handshakeTimeoutMs: 750\n");
    assertTrue(on.enabled());
    assertTrue(on.mutual());
    assertEquals("etc/tls/server.pem", on.certFile());
    assertEquals("etc/tls/server.key", on.keyFile());
    assertEquals("etc/tls/cameras-ca.pem", on.clientCaFile());
    assertEquals(List.of("TLSv1.3", "TLSv1.2"), on.protocols());
    assertEquals(750, on.handshakeTimeoutMs());

    IngestTlsConfig serverOnly = parse("    enabled: true\n    certFile: c.pem\n    keyFile: k\n");
    assertFalse(serverOnly.mutual());
    assertNull(serverOnly.clientCaFile());
    IngestConfig ingest =
        ConfigLoader.parse(
                MINIMAL + "ingest:\n  tls: {enabled: true, certFile: c.pem, keyFile: k}\n",
                "test.yaml")
            .ingest();
    assertEquals(ingest.tls(), ingest.listeningOn("127.0.0.1", 0).tls(), "kept by the warm-up");
  }

  @Test
  void shouldNameTheKeyOfEveryMistake() {
    assertEquals(
        "test.yaml: ingest.tls.certFile: required with ingest.tls.enabled: true (the service's"
            + " certificate chain, PEM)",
        error("    enabled: true\n    keyFile: k\n"));
    assertEquals(
        "test.yaml: ingest.tls.keyFile: required with ingest.tls.enabled: true (the certificate's"
            + " private key, PEM PKCS#8)",
        error("    enabled: true\n    certFile: c\n"));
    assertEquals(
        "test.yaml: ingest.tls.protocols: expected some of [TLSv1.3, TLSv1.2], got 'TLSv1.1'",
        error("    protocols: [TLSv1.3, TLSv1.1]\n"));
    assertEquals(
        "test.yaml: ingest.tls.protocols: empty: name at least one of [TLSv1.3, TLSv1.2]",
        error("    protocols: []\n"));
    assertTrue(error("    protocols: [TLSv1.2, TLSv1.2]\n").contains("named twice"));
    assertEquals(
        "test.yaml: ingest.tls.handshakeTimeoutMs: must be between 10 and 3600000, got 5",
        error("    handshakeTimeoutMs: 5\n"));
    assertEquals("test.yaml: ingest.tls.clientCaFile: empty path", error("    clientCaFile: ''\n"));
    String m = error("    enabled: true\n    certfile: c\n");
    assertTrue(m.startsWith("test.yaml: ingest.tls.certfile: unknown key (known keys here:"), m);
    assertTrue(m.contains("certFile") && m.contains("clientCaFile"), m);
  }

  @Test
  void everyWitherKeepsTheCameraPortsTls() {
    IngestTlsConfig tls = new IngestTlsConfig(true, "s.pem", "s.key", null, null, null);
    IngestConfig c = IngestConfig.defaults().withTls(tls);
    // The demo sets its cameras' secrets with withCameras: TLS from --config must survive it.
    assertEquals(tls, c.withCameras(null).tls());
    assertEquals(tls, c.listeningOn("127.0.0.1", 0).tls());
    assertEquals(tls, c.withLimits(64, 16, 2000, 2000, 128L << 20, 1000).tls());
  }
}
