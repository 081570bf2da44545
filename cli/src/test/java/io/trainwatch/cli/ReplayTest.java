package io.trainwatch.cli;

import io.trainwatch.client.KafkaSettings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainwatch replay}'s arguments and Kafka settings (publishing itself: {@code ReplayIT}). */
class ReplayTest {

    @Test
    void badArgumentsAndUnreadableFilesAreOneLineWithStatus2() {
        for (String[] args : new String[][] {{"replay"}, {"replay", "--topic"}, {"replay", "--bogus", "f.jsonl"},
                {"replay", "a.jsonl", "b.jsonl"}, {"replay", "/no/such/file.jsonl"}}) {
            Console c = new Console();
            assertThat(c.run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(c.err().lines()).as(String.join(" ", args)).singleElement().asString()
                    .startsWith("replay: ").endsWith("(see: trainwatch replay --help)");
        }
    }

    @Test
    void theProducerGetsTheSharedTlsAndSaslSettingsAndABoundedWait() {
        KafkaSettings settings = KafkaSettings.from(Map.of("KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"), new java.util.Properties());
        Map<String, Object> p = Replay.producerConfig(settings);
        assertThat(p).containsEntry("bootstrap.servers", "broker:9093").containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("acks", "all")
                .containsEntry("enable.idempotence", true)
                .containsEntry("max.block.ms", (int) Replay.MAX_BLOCK.toMillis());
    }
}
