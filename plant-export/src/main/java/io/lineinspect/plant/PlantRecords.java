package io.lineinspect.plant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The record formats on the plant's topics (normative: {@code docs/plant.md}). Every value is one
 * UTF-8 JSON object whose first field is {@code "v":1}. A chain record wraps one audit line
 * verbatim:
 *
 * <pre>
 * {"v":1,"type":"verdict","line":"line-a","prev":"&lt;64 hex&gt;","audit":&lt;the audit line&gt;}
 * </pre>
 *
 * so a consumer recomputes {@code SHA-256(prev + audit line up to ,"hash")} and compares it with
 * the line's own {@code hash}, exactly as {@code inspect audit verify} does on the box.
 */
public final class PlantRecords {
  private PlantRecords() {}

  /** Spool kinds, one per topic. */
  public static final byte VERDICTS = 0;

  public static final byte EVENTS = 1;
  public static final byte IMAGES = 2;

  static final String[] TOPIC_KINDS = {"verdicts", "events", "images"};

  static final JsonFactory JSON = new JsonFactory();

  /**
   * {@code ,"hash":"} (9 bytes) + 64 hex digits + {@code "}} (2) at the end of every audit line.
   */
  static final int HASH_TAIL = 75;

  /** What the exporter needs to know of an audit line: its type, camera and hash. */
  record LineInfo(String type, String camera, String hash) {}

  /**
   * Reads the top-level {@code type}, {@code cam} and {@code hash} of an audit line, or null when
   * the bytes are not a whole audit line (a torn one).
   */
  static LineInfo lineInfo(byte[] b, int off, int len) {
    if (len < HASH_TAIL + 2 || b[off + len - 1] != '}' || b[off + len - 2] != '"') {
      return null;
    }
    String type = null;
    String cam = null;
    String hash = null;
    try (JsonParser p = JSON.createParser(b, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          p.skipChildren();
        } else if (name.equals("type")) {
          type = p.getText();
        } else if (name.equals("cam")) {
          cam = t == JsonToken.VALUE_NULL ? null : p.getText();
        } else if (name.equals("hash")) {
          hash = p.getText();
        }
      }
    } catch (IOException e) {
      return null;
    }
    if (type == null || hash == null || !hash.matches("[0-9a-f]{64}")) {
      return null;
    }
    return new LineInfo(type, cam, hash);
  }

  /** The record type of an audit line's type: {@code record} → verdict, {@code reject}, chain. */
  static String recordType(String auditType) {
    return switch (auditType) {
      case "record" -> "verdict";
      case "reject" -> "reject";
      default -> "chain";
    };
  }

  /** The chain record's bytes: envelope, then the audit line verbatim, then {@code }}. */
  static byte[] chainRecord(String type, String line, String prev, byte[] b, int off, int len) {
    byte[] head =
        ("{\"v\":1,\"type\":\""
                + type
                + "\",\"line\":"
                + quote(line)
                + ",\"prev\":\""
                + prev
                + "\",\"audit\":")
            .getBytes(StandardCharsets.UTF_8);
    byte[] r = new byte[head.length + len + 1];
    System.arraycopy(head, 0, r, 0, head.length);
    System.arraycopy(b, off, r, head.length, len);
    r[r.length - 1] = '}';
    return r;
  }

  /** A JSON string literal. */
  static String quote(String s) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(o)) {
      g.writeString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return o.toString(StandardCharsets.UTF_8);
  }

  /** Writes one event record with a generator; the caller writes its own fields after these. */
  interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  /** An event record: {@code {"v":1,"type":…,"line":…,"boot":…,"seq":…,"atUs":…, fields…}}. */
  static byte[] event(String type, String line, String boot, long seq, long atUs, Fields fields) {
    ByteArrayOutputStream o = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(o)) {
      g.writeStartObject();
      g.writeNumberField("v", 1);
      g.writeStringField("type", type);
      g.writeStringField("line", line);
      g.writeStringField("boot", boot);
      g.writeNumberField("seq", seq);
      g.writeNumberField("atUs", atUs);
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return o.toByteArray();
  }

  static void stringOrNull(JsonGenerator g, String name, String value) throws IOException {
    if (value == null) {
      g.writeNullField(name);
    } else {
      g.writeStringField(name, value);
    }
  }
}
