package io.lineinspect.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the admin endpoint's JSON request bodies ({@code POST /models/activate} and
 * {@code POST /models/shadow}, {@link AdminServer#parseNameAndVersion}): any bytes give either the
 * two strings the body carries as JSON strings, or 413 / 400 with a one-line reason; nothing
 * throws. The default test run replays {@code
 * src/test/resources/io/lineinspect/app/admin/AdminBodyFuzzTestInputs/<method>/}; {@code
 * JAZZER_FUZZ=1 ./mvnw -pl inspection-app -am test -Dtest=AdminBodyFuzzTest} fuzzes.
 */
class AdminBodyFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @FuzzTest(maxDuration = "60s")
  void modelRequestBodiesAreParsedOrRefused(byte[] body) {
    AdminServer.NameAndVersion r = AdminServer.parseNameAndVersion(body);
    assertNotNull(r);
    if (r.error() == null) {
      assertEquals(200, r.status());
      assertNotNull(r.name());
      assertNotNull(r.version());
      // Accepted only what the body carries as JSON strings, exactly.
      JsonNode n;
      try {
        n = JSON.readTree(body);
      } catch (java.io.IOException e) {
        throw new AssertionError("accepted a body that is not JSON", e);
      }
      assertTrue(n.get("name").isTextual() && n.get("version").isTextual());
      assertEquals(n.get("name").textValue(), r.name());
      assertEquals(n.get("version").textValue(), r.version());
    } else {
      assertTrue(r.status() == 400 || r.status() == 413, "status " + r.status());
      assertTrue(!r.error().isBlank() && r.error().indexOf('\n') < 0, r.error());
      if (body.length > AdminServer.MAX_BODY) {
        assertEquals(413, r.status());
      }
    }
  }

  @Test
  void shouldRefuseWhatIsNotTwoStrings() {
    assertNull(parse("{\"name\":\"demo\",\"version\":\"1\"}").error());
    for (String bad :
        new String[] {
          "",
          "[]",
          "\"x\"",
          "{\"name\":\"demo\"}",
          "{\"name\":\"demo\",\"version\":1}",
          "{\"name\":{\"a\":1},\"version\":\"1\"}",
          "{\"name\":null,\"version\":\"1\"}",
          "{",
          "{\"name\":\"demo\",\"version\":\"1\"",
          "\u0000",
          "{\"name\":\"a\",\"version\":\"1\",\"name\":\"b\"}"
        }) {
      AdminServer.NameAndVersion r = parse(bad);
      assertEquals(400, r.status(), bad + " -> " + r);
      assertTrue(r.error().indexOf('\n') < 0, r.error());
    }
    assertEquals(413, AdminServer.parseNameAndVersion(new byte[AdminServer.MAX_BODY + 1]).status());
  }

  private static AdminServer.NameAndVersion parse(String s) {
    return AdminServer.parseNameAndVersion(s.getBytes(StandardCharsets.UTF_8));
  }
}
