package io.lineinspect.camera.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The worked hex examples of {@code docs/protocol.md} are what the codecs produce, byte for byte:
 * the examples are parsed out of the document itself, so the document cannot drift from the code.
 */
class ProtocolDocExamplesTest {

  /** The bytes of the code block under the heading starting with {@code heading}. */
  static byte[] example(String heading) throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "protocol.md"));
    int h = doc.indexOf(heading);
    assertTrue(h >= 0, "docs/protocol.md has no section " + heading);
    int start = doc.indexOf("```", h) + 3;
    int end = doc.indexOf("```", start);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // Each line: hex byte pairs, then two or more spaces, then the annotation.
    Pattern bytes = Pattern.compile("^((?:[0-9a-f]{2} )*[0-9a-f]{2})(?:\\s{2,}.*)?$");
    for (String line : doc.substring(start, end).split("\n")) {
      Matcher m = bytes.matcher(line.strip());
      if (m.matches()) {
        out.write(ByteBufUtil.decodeHexDump(m.group(1).replace(" ", "")));
      }
    }
    return out.toByteArray();
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] a = new byte[b.readableBytes()];
    b.readBytes(a);
    return a;
  }

  @Test
  void shouldEncodeTheHelloOfTheDocument() throws Exception {
    ByteBuf b = Unpooled.buffer();
    Messages.writeHello(b, "cam-1", new byte[0]);
    assertArrayEquals(example("### 9.1 HELLO"), bytes(b));
  }

  @Test
  void shouldEncodeTheHelloWithATokenOfTheDocument() throws Exception {
    // The token is the secret's bytes, decoded from the hex digits the configuration holds.
    byte[] token = java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
    ByteBuf b = Unpooled.buffer();
    Messages.writeHello(b, "cam-1", token);
    byte[] doc = example("### 9.6 HELLO with a token");
    assertEquals(33, doc.length);
    assertArrayEquals(doc, bytes(b));
  }

  @Test
  void shouldEncodeAndDecodeTheFrameOfTheDocument() throws Exception {
    byte[] doc = example("### 9.2 FRAME");
    ByteBuf b = Unpooled.buffer();
    FrameFlyweight.writeMessage(
        b,
        42,
        1_700_000_000_000_000L,
        true,
        123_456,
        4,
        2,
        1,
        new byte[] {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70},
        0,
        8);
    assertArrayEquals(doc, bytes(b));
    FrameFlyweight f =
        new FrameFlyweight().wrap(Unpooled.wrappedBuffer(doc), ProtocolV1.HEADER_BYTES);
    assertEquals(42, f.sequence());
    assertEquals(123_456, f.encoderCount());
    assertEquals(8, f.payloadLength());
  }

  @Test
  void shouldEncodeTheVerdictOfTheDocument() throws Exception {
    ModelInfo model = new ModelInfo("demo-cnn", "1", "x", 0.5f);
    VerdictView v =
        new VerdictView() {
          @Override
          public String cameraId() {
            return "cam-1";
          }

          @Override
          public long sequence() {
            return 42;
          }

          @Override
          public long captureTimeUs() {
            return 0;
          }

          @Override
          public long encoderCount() {
            return 0;
          }

          @Override
          public boolean hasEncoderCount() {
            return false;
          }

          @Override
          public Verdict verdict() {
            return Verdict.FAIL;
          }

          @Override
          public ReasonCode reason() {
            return ReasonCode.NONE;
          }

          @Override
          public float score() {
            return 0.875f;
          }

          @Override
          public String label() {
            return "defect";
          }

          @Override
          public ModelInfo model() {
            return model;
          }

          @Override
          public long receivedNs() {
            return 0;
          }

          @Override
          public long emittedNs() {
            return 1_234_000;
          }

          @Override
          public String detail() {
            return null;
          }
        };
    ByteBuf b = Unpooled.buffer();
    VerdictFlyweight.writeMessage(b, v);
    assertArrayEquals(example("### 9.3 VERDICT"), bytes(b));
  }

  @Test
  void shouldEncodeTheErrorOfTheDocument() throws Exception {
    ByteBuf b = Unpooled.buffer();
    Messages.writeError(
        b, ErrorCode.IMAGE_SIZE_MISMATCH, 42, "4x2 MONO8 needs 8 payload bytes, got 6");
    assertArrayEquals(example("### 9.4 ERROR"), bytes(b));
  }

  @Test
  void shouldEncodeTheHelloAckAndHeartbeatOfTheDocument() throws Exception {
    ByteBuf b = Unpooled.buffer();
    Messages.writeHelloAck(b, 16_777_216, 50, 10_000, "demo-line");
    Messages.writeHeartbeat(b, 1_700_000_000_000_000L);
    assertArrayEquals(example("### 9.5 HELLO_ACK"), bytes(b));
  }
}
