package io.trainwatch.service;

import io.trainwatch.events.Topics;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Topic creation against the shared local broker. */
class TopicInitializerIT {

    @Test
    void createsAnExtraTopicFromTheContractsDefinitionOnceAndOnlyWhenMissing() throws Exception {
        KafkaClients kafka = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
        String name = "tuner.studies.it-" + UUID.randomUUID().toString().substring(0, 8);
        Topics.TopicSpec spec = Topics.spec(Topics.TUNER_STUDIES).orElseThrow().named(name);
        TopicInitializer topics = new TopicInitializer(kafka, true);

        assertThat(topics.createMissing(List.of(spec), Duration.ofSeconds(30))).containsExactly(name);
        assertThat(topics.createMissing(List.of(spec), Duration.ofSeconds(30))).isEmpty();
        try (Admin admin = Admin.create(kafka.admin("topic-initializer-it"))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
            // a new topic reaches the broker's metadata a moment after its creation returns
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                Config config = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
                assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
                assertThat(admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name)
                        .partitions()).hasSize(spec.partitions());
            });
        }
    }
}
