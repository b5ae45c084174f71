package io.lineinspect.plant;

import io.lineinspect.core.config.Check;
import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The plant exporter's section, {@code kafka}: owned by this module, contributed to the loader by
 * {@link KafkaConfigModule}; the core holds it as an opaque {@link
 * io.lineinspect.core.config.ModuleSection}. Every key is documented in {@code
 * docs/configuration.md#kafka}.
 *
 * @param enabled export to Kafka (default false: a line is self-contained unless told otherwise)
 * @param bootstrapServers the plant's brokers, {@code host:port[,host:port…]}; required when
 *     enabled
 * @param lineId this line's name in topic names and records (default {@code line.name}); letters,
 *     digits, {@code . _ -}
 * @param topicPrefix first part of every topic name (default {@code lineinspect})
 * @param spoolDir the on-disk spool, relative to the install (default {@code var/kafka-spool})
 * @param spoolMaxBytes the spool's bound on disk (default 1 GiB, at least 1 MiB)
 * @param spoolAlarmPercent spool fill at which the alarm is raised (default 50)
 * @param fsyncIntervalMs how often the spool is forced to disk; 0 = after every write (default
 *     1000)
 * @param queueSize chain lines waiting for the spool writer, a power of two (default 8192)
 * @param images {@code reference} (path + SHA-256, default), {@code inline} (also the bytes, up to
 *     {@code imageInlineMaxBytes}) or {@code none}
 * @param imageInlineMaxBytes largest image sent inline (default 262144, at most 524288)
 * @param producer further Kafka producer properties (TLS, SASL, compression); the ones the exporter
 *     fixes are refused
 */
public record KafkaExportConfig(
    Boolean enabled,
    String bootstrapServers,
    String lineId,
    String topicPrefix,
    String spoolDir,
    Long spoolMaxBytes,
    Integer spoolAlarmPercent,
    Integer fsyncIntervalMs,
    Integer queueSize,
    String images,
    Integer imageInlineMaxBytes,
    Map<String, String> producer) {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  /** Producer settings that carry the exporter's guarantees: never overridden. */
  static final Set<String> FIXED =
      Set.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
          ProducerConfig.ACKS_CONFIG,
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
          ProducerConfig.RETRIES_CONFIG,
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
          ProducerConfig.MAX_BLOCK_MS_CONFIG,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
          ProducerConfig.TRANSACTIONAL_ID_CONFIG);

  public KafkaExportConfig {
    enabled = enabled != null && enabled;
    if (enabled) {
      bootstrapServers = Check.text("kafka.bootstrapServers", bootstrapServers, null);
      for (String s : bootstrapServers.split(",")) {
        if (!s.trim().matches("[^:\\s]+:\\d{1,5}")) {
          throw new ConfigException(
              "kafka.bootstrapServers: expected host:port[,host:port...], got '"
                  + bootstrapServers
                  + "'");
        }
      }
    }
    if (lineId != null && !NAME.matcher(lineId).matches()) {
      throw new ConfigException(
          "kafka.lineId: 1-100 of A-Z a-z 0-9 . _ - (it names Kafka topics), got '" + lineId + "'");
    }
    topicPrefix = Check.text("kafka.topicPrefix", topicPrefix, "lineinspect");
    if (!NAME.matcher(topicPrefix).matches()) {
      throw new ConfigException(
          "kafka.topicPrefix: 1-100 of A-Z a-z 0-9 . _ -, got '" + topicPrefix + "'");
    }
    spoolDir = Check.text("kafka.spoolDir", spoolDir, "var/kafka-spool");
    spoolMaxBytes = spoolMaxBytes == null ? 1L << 30 : spoolMaxBytes;
    if (spoolMaxBytes < (1L << 20) || spoolMaxBytes > (1L << 42)) {
      throw new ConfigException(
          "kafka.spoolMaxBytes: must be between 1048576 and 2^42, got " + spoolMaxBytes);
    }
    spoolAlarmPercent = Check.intIn("kafka.spoolAlarmPercent", spoolAlarmPercent, 50, 1, 100);
    fsyncIntervalMs = Check.intIn("kafka.fsyncIntervalMs", fsyncIntervalMs, 1000, 0, 60_000);
    queueSize = Check.intIn("kafka.queueSize", queueSize, 8192, 16, 1 << 20);
    if (Integer.bitCount(queueSize) != 1) {
      throw new ConfigException("kafka.queueSize: must be a power of two, got " + queueSize);
    }
    images = Check.oneOf("kafka.images", images, "reference", "reference", "inline", "none");
    imageInlineMaxBytes =
        Check.intIn("kafka.imageInlineMaxBytes", imageInlineMaxBytes, 262_144, 0, 524_288);
    Map<String, String> p = new TreeMap<>();
    if (producer != null) {
      for (Map.Entry<String, String> e : producer.entrySet()) {
        String k = e.getKey();
        if (FIXED.contains(k)) {
          throw new ConfigException(
              "kafka.producer."
                  + k
                  + ": set by the exporter (idempotent, acks=all, retried until delivered), not"
                  + " configurable");
        }
        if (!ProducerConfig.configNames().contains(k)) {
          throw new ConfigException("kafka.producer." + k + ": not a Kafka producer property");
        }
        if (e.getValue() == null) {
          throw new ConfigException("kafka.producer." + k + ": required value is missing");
        }
        p.put(k, e.getValue());
      }
    }
    producer = Map.copyOf(p);
  }

  /** Off: the defaults. */
  public static KafkaExportConfig defaults() {
    return new KafkaExportConfig(
        null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Enabled towards {@code bootstrapServers}, every other key at its default (demo, tests). */
  public static KafkaExportConfig to(String bootstrapServers) {
    return new KafkaExportConfig(
        true, bootstrapServers, null, null, null, null, null, null, null, null, null, null);
  }

  /** The section of {@code config}: as loaded, or the defaults when assembled in code without. */
  public static KafkaExportConfig of(ServiceConfig config) {
    KafkaExportConfig c = config.kafka().as(KafkaExportConfig.class);
    return c == null ? defaults() : c;
  }

  /** The same settings with another spool directory. */
  public KafkaExportConfig withSpoolDir(String dir) {
    return new KafkaExportConfig(
        enabled,
        bootstrapServers,
        lineId,
        topicPrefix,
        dir,
        spoolMaxBytes,
        spoolAlarmPercent,
        fsyncIntervalMs,
        queueSize,
        images,
        imageInlineMaxBytes,
        producer);
  }

  /** The same settings with another spool bound (tests of a full spool). */
  public KafkaExportConfig withSpoolMaxBytes(long bytes) {
    return new KafkaExportConfig(
        enabled,
        bootstrapServers,
        lineId,
        topicPrefix,
        spoolDir,
        bytes,
        spoolAlarmPercent,
        fsyncIntervalMs,
        queueSize,
        images,
        imageInlineMaxBytes,
        producer);
  }

  /** The same settings with another image mode. */
  public KafkaExportConfig withImages(String mode, int inlineMaxBytes) {
    return new KafkaExportConfig(
        enabled,
        bootstrapServers,
        lineId,
        topicPrefix,
        spoolDir,
        spoolMaxBytes,
        spoolAlarmPercent,
        fsyncIntervalMs,
        queueSize,
        mode,
        inlineMaxBytes,
        producer);
  }

  /** This line's id in topics and records: {@code lineId}, else the line's name. */
  public String lineIdOf(ServiceConfig config) {
    return lineId != null ? lineId : config.line().name();
  }

  /** The topic of one kind of record ({@code verdicts}, {@code events}, {@code images}). */
  public static String topic(String prefix, String lineId, String kind) {
    return prefix + "." + lineId + "." + kind;
  }
}
