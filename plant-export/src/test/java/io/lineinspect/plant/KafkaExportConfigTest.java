package io.lineinspect.plant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigLoader;
import io.lineinspect.core.config.ServiceConfig;
import org.junit.jupiter.api.Test;

/** The {@code kafka} section through the loader: defaults, and every mistake named by its key. */
class KafkaExportConfigTest {
  private static final String LINE =
      "line: {name: line-7, budgetMs: 50}\ninference: {backend: builtin}\n";

  private static ServiceConfig load(String kafka) {
    return ConfigLoader.parse(LINE + kafka, "x.yaml");
  }

  private static String error(String kafka) {
    return assertThrows(ConfigException.class, () -> load(kafka)).getMessage();
  }

  @Test
  void anAbsentSectionIsOffWithItsDefaults() {
    KafkaExportConfig k = KafkaExportConfig.of(load(""));
    assertFalse(k.enabled());
    assertEquals("lineinspect", k.topicPrefix());
    assertEquals(1L << 30, k.spoolMaxBytes());
  }

  @Test
  void anEnabledSectionBindsAndTheLineNameIsTheLineId() {
    ServiceConfig c = load("kafka: {enabled: true, bootstrapServers: 'plant-kafka:9092'}\n");
    KafkaExportConfig k = KafkaExportConfig.of(c);
    assertTrue(k.enabled());
    assertEquals("line-7", k.lineIdOf(c));
  }

  @Test
  void aWrongKeyIsAnErrorNamingIt() {
    String m = error("kafka: {enabled: true, bootstrapServers: 'h:1', spolDir: /x}\n");
    assertTrue(m.startsWith("x.yaml: kafka.spolDir: unknown key"), m);
    assertTrue(m.contains("spoolDir"), m);
    // a misspelt required key: the record refuses first, naming the key it misses
    assertTrue(
        error("kafka: {enabled: true, bootstrapServer: 'h:1'}\n")
            .contains("kafka.bootstrapServers: required value is missing"));
  }

  @Test
  void badValuesAreErrorsNamingTheirKeys() {
    assertTrue(error("kafka: {enabled: true}\n").contains("kafka.bootstrapServers: required"));
    assertTrue(
        error("kafka: {enabled: true, bootstrapServers: 'nohost'}\n")
            .contains("kafka.bootstrapServers: expected host:port"));
    assertTrue(
        error("kafka: {enabled: true, bootstrapServers: 'h:1', producer: {acks: '1'}}\n")
            .contains("kafka.producer.acks: set by the exporter"));
    assertTrue(
        error("kafka: {enabled: true, bootstrapServers: 'h:1', producer: {ackz: '1'}}\n")
            .contains("kafka.producer.ackz: not a Kafka producer property"));
    assertTrue(error("kafka: {spoolMaxBytes: 10}\n").contains("kafka.spoolMaxBytes"));
    assertTrue(error("kafka: {images: all}\n").contains("kafka.images: must be one of"));
    assertTrue(
        error("kafka: {enabled: true, bootstrapServers: 'h:1'}\naudit: {enabled: false}\n")
            .contains("kafka.enabled: the exporter sends the audit chain"));
    assertTrue(
        ConfigLoader.parse(
                "line: {name: 'Line 7', budgetMs: 50}\ninference: {backend: builtin}\n", "y.yaml")
            != null);
    assertTrue(
        assertThrows(
                ConfigException.class,
                () ->
                    ConfigLoader.parse(
                        "line: {name: 'Line 7', budgetMs: 50}\ninference: {backend: builtin}\n"
                            + "kafka: {enabled: true, bootstrapServers: 'h:1'}\n",
                        "y.yaml"))
            .getMessage()
            .contains("kafka.lineId: line.name 'Line 7' cannot name a Kafka topic"));
  }
}
