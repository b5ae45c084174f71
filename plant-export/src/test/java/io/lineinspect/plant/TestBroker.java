package io.lineinspect.plant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in KRaft mode in the test JVM, on loopback (one controller, one broker, 3
 * partitions per auto-created topic): one per test class. The broker can be stopped and started
 * again on the same port, as a plant network outage.
 */
public final class TestBroker implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final int brokerId;
  private final String bootstrap;

  public TestBroker() throws Exception {
    cluster =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(false)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("num.partitions", "3")
            .setConfigProp("auto.create.topics.enable", "true")
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    brokerId = cluster.brokers().keySet().iterator().next();
    bootstrap = cluster.bootstrapServers();
  }

  /** {@code host:port} of the broker (the same after a restart). */
  public String bootstrap() {
    return bootstrap;
  }

  /** Stops the broker (clients see connection refused). */
  public void stop() {
    var b = cluster.brokers().get(brokerId);
    b.shutdown();
    b.awaitShutdown();
  }

  /** Starts the stopped broker again on the same port, with its data. */
  public void restart() throws Exception {
    cluster.restartBroker(brokerId, Map.of());
    cluster.waitForReadyBrokers();
  }

  /** Every record of the topics (values), in partition order per partition, then by partition. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String... topics) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : topics) {
        List<PartitionInfo> ps = c.partitionsFor(t, Duration.ofSeconds(10));
        if (ps != null) {
          ps.forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
        }
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new java.util.HashMap<>(c.endOffsets(parts));
      end.entrySet().removeIf(e -> e.getValue() == 0);
      long until = System.nanoTime() + 20_000_000_000L;
      while (!end.isEmpty() && System.nanoTime() < until) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
        end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
