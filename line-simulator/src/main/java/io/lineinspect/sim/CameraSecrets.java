package io.lineinspect.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lineinspect.core.config.CameraCredentialConfig;
import io.lineinspect.core.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HELLO tokens simulated cameras send: none (an open camera port), one secret for every camera
 * id ({@code --secret-file}), or one per id ({@code --credentials}, a YAML map id → hex). A token
 * is the secret's bytes, decoded from the same hex digits the service reads from {@code
 * ingest.cameras.<id>.secret} or {@code secretFile} (protocol §4.1), so one file can serve both.
 * Immutable; any thread. {@link #tokenFor} hands out a copy.
 */
public final class CameraSecrets {
  private static final byte[] NONE = new byte[0];

  private final byte[] all;
  private final Map<String, byte[]> byId;
  private final String origin;
  private final javax.net.ssl.SSLContext tls;

  private CameraSecrets(
      byte[] all, Map<String, byte[]> byId, String origin, javax.net.ssl.SSLContext tls) {
    this.all = all;
    this.byId = byId;
    this.origin = origin;
    this.tls = tls;
  }

  private CameraSecrets(byte[] all, Map<String, byte[]> byId, String origin) {
    this(all, byId, origin, null);
  }

  /**
   * The same tokens, the cameras connecting over TLS with {@code tls} (its trust: the service's
   * certificate or CA; its key: the cameras' client certificate for mutual TLS, or none).
   */
  public CameraSecrets withTls(javax.net.ssl.SSLContext tls) {
    return new CameraSecrets(all, byId, origin, tls);
  }

  /** The cameras' TLS client context for a TLS camera port ({@code ingest.tls}), or null. */
  public javax.net.ssl.SSLContext tls() {
    return tls;
  }

  /** No token: for a service whose camera port is open (no {@code ingest.cameras}). */
  public static CameraSecrets none() {
    return new CameraSecrets(NONE, null, null);
  }

  /** The same secret for every camera id. */
  public static CameraSecrets same(byte[] secret) {
    return new CameraSecrets(secret.clone(), null, "the given secret");
  }

  /** One secret per camera id; an id not in {@code secrets} has none ({@link #tokenFor} throws). */
  public static CameraSecrets perCamera(Map<String, byte[]> secrets, String origin) {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    secrets.forEach((id, s) -> copy.put(id, s.clone()));
    return new CameraSecrets(null, copy, origin);
  }

  /**
   * A file of hex digits (surrounding whitespace ignored), the format of the service's {@code
   * secretFile}: one secret for every simulated camera.
   *
   * @throws IllegalArgumentException naming the file (never the secret) when it cannot be read or
   *     is not 16–1024 bytes of hex
   */
  public static CameraSecrets fromSecretFile(Path file) {
    String hex;
    try {
      hex = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--secret-file: cannot read " + file + ": " + e.getMessage(), e);
    }
    return new CameraSecrets(parse("--secret-file " + file, hex), null, file.toString());
  }

  /**
   * A YAML map of camera id to hex secret ({@code cam-1: 9f86d081…}), one secret per camera.
   *
   * @throws IllegalArgumentException naming the file and the id (never a secret) when the file
   *     cannot be read or parsed, or an entry is not 16–1024 bytes of hex
   */
  public static CameraSecrets fromCredentialsFile(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--credentials: cannot read " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw new IllegalArgumentException(
          "--credentials " + file + ": must be a YAML map of camera id to hex secret");
    }
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = "--credentials " + file + ": " + e.getKey();
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException(key + ": must be a string of hex digits");
      }
      secrets.put(e.getKey(), parse(key, e.getValue().asText().strip()));
    }
    return new CameraSecrets(null, secrets, file.toString());
  }

  private static byte[] parse(String key, String hex) {
    try {
      CameraCredentialConfig.checkHex(key, hex);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return HexFormat.of().parseHex(hex);
  }

  /**
   * The HELLO token of {@code cameraId}: empty for {@link #none()}.
   *
   * @throws IllegalArgumentException when secrets are per camera and {@code cameraId} has none
   */
  public byte[] tokenFor(String cameraId) {
    if (byId == null) {
      return all.clone();
    }
    byte[] s = byId.get(cameraId);
    if (s == null) {
      throw new IllegalArgumentException(
          "no secret for camera "
              + cameraId
              + " in "
              + origin
              + " (it lists "
              + byId.keySet()
              + ")");
    }
    return s.clone();
  }
}
