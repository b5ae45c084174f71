package io.lineinspect.plant;

import io.lineinspect.core.config.ConfigException;
import io.lineinspect.core.config.ConfigModule;
import io.lineinspect.core.config.ServiceConfig;
import java.util.Map;

/**
 * This module's part of the line configuration: the {@code kafka} section, bound to {@link
 * KafkaExportConfig} (registered in {@code META-INF/services}). Without this module on the class
 * path a {@code kafka} section is refused.
 */
public final class KafkaConfigModule implements ConfigModule {
  @Override
  public Map<String, Class<?>> sections() {
    return Map.of(ServiceConfig.KAFKA, KafkaExportConfig.class);
  }

  @Override
  public void conclude(ServiceConfig config) {
    KafkaExportConfig k = KafkaExportConfig.of(config);
    if (!k.enabled()) {
      return;
    }
    if (!config.audit().enabled()) {
      throw new ConfigException(
          "kafka.enabled: the exporter sends the audit chain (every verdict with its hash); it"
              + " needs audit.enabled: true");
    }
    if (k.lineId() == null && !KafkaExportConfig.NAME.matcher(config.line().name()).matches()) {
      throw new ConfigException(
          "kafka.lineId: line.name '"
              + config.line().name()
              + "' cannot name a Kafka topic (1-100 of A-Z a-z 0-9 . _ -): set kafka.lineId");
    }
  }
}
