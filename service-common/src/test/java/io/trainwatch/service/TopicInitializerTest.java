package io.trainwatch.service;

import io.trainwatch.events.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TopicInitializerTest {

    @Test
    void turnedOffItCreatesNothingAndNeverAsksTheBroker() throws Exception {
        // Nothing listens on port 1: asking would fail, so an empty answer means it did not ask.
        TopicInitializer off = new TopicInitializer(new KafkaClients(Map.of("bootstrap.servers", "127.0.0.1:1")), false);
        assertThat(off.enabled()).isFalse();
        assertThat(off.createMissing(List.of(Topics.spec(Topics.TUNER_STUDIES).orElseThrow().named("x")),
                Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void aRenamedSpecKeepsItsPartitionsAndConfigs() {
        Topics.TopicSpec studies = Topics.spec(Topics.TUNER_STUDIES).orElseThrow();
        Topics.TopicSpec renamed = studies.named("tuner.studies.other");
        assertThat(renamed.name()).isEqualTo("tuner.studies.other");
        assertThat(renamed.partitions()).isEqualTo(studies.partitions());
        assertThat(renamed.configs()).isEqualTo(studies.configs());
    }
}
