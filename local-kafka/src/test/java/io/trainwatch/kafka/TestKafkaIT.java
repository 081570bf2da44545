package io.trainwatch.kafka;

import io.trainwatch.events.Topics;
import io.trainwatch.events.Topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class TestKafkaIT {

    @Test
    void oneBrokerPerJvm() {
        String first = TestKafka.bootstrapServers();
        assertThat(first).matches("[\\w.-]+:\\d+");
        assertThat(TestKafka.bootstrapServers()).isEqualTo(first);
        assertThat(TestKafka.adminConfig()).containsEntry("bootstrap.servers", first);
    }

    @Test
    void everyContractTopicExistsWithItsPartitionsAndCleanupPolicy() throws Exception {
        List<String> names = Topics.ALL.stream().map(TopicSpec::name).toList();
        try (Admin admin = Admin.create(TestKafka.adminConfig())) {
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
            List<ConfigResource> resources = names.stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            for (TopicSpec spec : Topics.ALL) {
                assertThat(described.get(spec.name()).partitions()).as(spec.name()).hasSize(spec.partitions());
                Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
                assertThat(config.get("cleanup.policy").value()).as(spec.name()).isEqualTo(spec.cleanupPolicy());
                assertThat(config.get("retention.ms").value()).as(spec.name())
                        .isEqualTo(Long.toString(spec.retentionMs()));
            }
        }
    }

    @Test
    void recordKeyedByRunIdComesBack() throws Exception {
        String runId = "run-" + UUID.randomUUID();
        RecordMetadata sent;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            sent = producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, "{\"runId\":\"" + runId + "\"}")).get();
        }
        List<ConsumerRecord<String, String>> mine = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(TestKafka.consumerConfig("it-" + runId))) {
            consumer.subscribe(List.of(Topics.TRAINING_EVENTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (mine.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (runId.equals(r.key())) {
                        mine.add(r);
                    }
                }
            }
        }
        assertThat(mine).singleElement().satisfies(r -> {
            assertThat(r.value()).contains(runId);
            assertThat(r.partition()).isEqualTo(sent.partition());
            assertThat(r.offset()).isEqualTo(sent.offset());
        });
    }

    @Test
    void createTopicIsIdempotent() throws Exception {
        String name = "test." + UUID.randomUUID();
        assertThat(TestKafka.createTopic(name, 4)).isEqualTo(name);
        assertThat(TestKafka.createTopic(name, 4)).isEqualTo(name);
        try (Admin admin = Admin.create(TestKafka.adminConfig())) {
            Map<String, TopicDescription> described = admin.describeTopics(List.of(name)).allTopicNames().get();
            assertThat(described.get(name).partitions()).hasSize(4);
        }
    }

    @Test
    void quarkusTestResourceSharesTheBrokerAndLeavesItRunning() throws Exception {
        KafkaTestResource resource = new KafkaTestResource();
        assertThat(resource.start()).isEqualTo(Map.of("kafka.bootstrap.servers", TestKafka.bootstrapServers()));
        resource.stop();
        try (Admin admin = Admin.create(TestKafka.adminConfig())) {
            assertThat(admin.listTopics().names().get()).contains(Topics.TRAINING_EVENTS);
        }
    }

    @Test
    void clientConfigsAreFreshMutableMaps() {
        Map<String, Object> consumer = TestKafka.consumerConfig("g1");
        consumer.put("max.poll.records", 10);
        assertThat(TestKafka.consumerConfig("g1")).doesNotContainKey("max.poll.records");
        assertThat(TestKafka.producerConfig()).containsEntry("acks", "all");
        assertThat(Topics.ALL.stream().collect(Collectors.toMap(TopicSpec::name, Function.identity())))
                .hasSize(Topics.ALL.size());
    }
}
