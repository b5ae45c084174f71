package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.ProtocolV1;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ingest.cameras} in the real service process: a secret file is read at start-up (a missing
 * one stops it, naming the key, before the warm-up), and HELLOs are checked against it.
 */
class CameraCredentialServiceTest {
  private static final String SECRET = "8f0e6a1c2b3d4e5f60718293a4b5c6d7";

  private static Path config(Path dir, int port, String secretFile) throws Exception {
    Path config = dir.resolve("line.yaml");
    Files.writeString(
        config,
        """
        line: {name: credentials, budgetMs: 50}
        ingest:
          host: 127.0.0.1
          port: %d
          maxMessageBytes: 1048576
          cameras:
            cam-1: {secretFile: %s}
        inference: {backend: builtin}
        admin: {enabled: false}
        audit: {enabled: false}
        archive: {enabled: false}
        warmup: {formats: [MONO8], maxMs: 30000}
        """
            .formatted(port, secretFile));
    return config;
  }

  @Test
  void shouldRefuseToStartWhenACamerasSecretFileIsMissing(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("cam-1.key");
    ServiceProcess.Exit exit =
        ServiceProcess.run(config(dir, ServiceProcess.freePort(), missing.toString()), 60);
    assertEquals(2, exit.status(), exit.output());
    assertTrue(
        exit.output()
            .contains(
                "configuration error: ingest.cameras.cam-1.secretFile: cannot read " + missing),
        exit.output());
    assertFalse(exit.output().contains("warm-up done"), "refused before the warm-up");
  }

  /** The first message the service answers a HELLO with: its type, and the error code if any. */
  private static int[] hello(int port, String cameraId, byte[] token) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(10_000);
      ByteBuf b = Unpooled.buffer();
      Messages.writeHello(b, cameraId, token);
      s.getOutputStream().write(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] header = new byte[ProtocolV1.HEADER_BYTES];
      in.readFully(header);
      ByteBuf h = Unpooled.wrappedBuffer(header);
      byte[] body = new byte[(int) h.getUnsignedInt(ProtocolV1.BODY_LENGTH_OFFSET)];
      in.readFully(body);
      int type = h.getUnsignedByte(ProtocolV1.TYPE_OFFSET);
      int code =
          type == ProtocolV1.TYPE_ERROR
              ? Unpooled.wrappedBuffer(body).getUnsignedShort(Messages.ERROR_CODE_OFFSET)
              : 0;
      return new int[] {type, code};
    }
  }

  @Test
  void shouldCheckHellosAgainstTheSecretFileRelativeToTheInstall(@TempDir Path dir)
      throws Exception {
    // The service's install directory is the repository root; this test runs in inspection-app.
    Path key = Files.createTempFile(Path.of("target"), "cam-1-", ".key");
    Files.writeString(key, SECRET + "\n");
    int port = ServiceProcess.freePort();
    Process service = ServiceProcess.start(config(dir, port, "inspection-app/" + key));
    try {
      byte[] token = HexFormat.of().parseHex(SECRET);
      assertEquals(ProtocolV1.TYPE_HELLO_ACK, hello(port, "cam-1", token)[0]);
      byte[] wrong = token.clone();
      wrong[15] ^= 0x40;
      int[] refused = hello(port, "cam-1", wrong);
      assertEquals(ProtocolV1.TYPE_ERROR, refused[0]);
      assertEquals(ErrorCode.AUTHENTICATION_FAILED.code(), refused[1]);
      refused = hello(port, "cam-2", token);
      assertEquals(ErrorCode.AUTHENTICATION_FAILED.code(), refused[1], "an unknown id");
      refused = hello(port, "cam-1", SECRET.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertEquals(ErrorCode.AUTHENTICATION_FAILED.code(), refused[1], "the hex text is not it");
    } finally {
      service.destroy();
      service.waitFor();
      Files.delete(key);
    }
  }
}
