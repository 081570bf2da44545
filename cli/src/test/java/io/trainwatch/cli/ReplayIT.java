package io.trainwatch.cli;

import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainwatch replay} over the real test broker: events keyed by runId, in file order, invalid lines counted. */
class ReplayIT {

    @Test
    void publishesEachLineKeyedByItsRunIdAndSendsInvalidLinesForTheDlq(@TempDir Path dir) throws Exception {
        String topic = TestKafka.createTopic("replay-" + UUID.randomUUID().toString().substring(0, 8), 1);
        String runId = "replayed-" + UUID.randomUUID().toString().substring(0, 8);
        Instant t = Instant.parse("2026-11-23T10:00:00Z");
        String step = EventCodec.writeString(new StepEvent(Contract.SCHEMA_VERSION, runId, t, null, null, 1, 0, 0.5, 0.7,
                0.01, null, null, null, null, null, null));
        String done = EventCodec.writeString(new RunFinished(Contract.SCHEMA_VERSION, runId, t, null, null,
                RunFinished.COMPLETED, "done", 1, 10L));
        Path file = dir.resolve("run.jsonl");
        Files.writeString(file, step + "\n\n{\"not\": \"an event\"}\n" + done + "\n");

        Console console = new Console().with("KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers());
        assertThat(console.run("replay", file.toString(), "--topic", topic)).as(console.err()).isZero();
        assertThat(console.out()).isEqualTo("replayed 3 events of 1 runs to " + topic + " on " + TestKafka.bootstrapServers()
                + " (1 invalid lines, sent for the DLQ)\n");
        assertThat(console.err()).startsWith("line 3: ");

        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(TestKafka.consumerConfig("replay-it-" + runId))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < 3 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).extracting(ConsumerRecord::key).containsExactly(runId, null, runId);
        assertThat(records).extracting(ConsumerRecord::value).containsExactly(step, "{\"not\": \"an event\"}", done);

        Console skipping = new Console().with("KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers());
        assertThat(skipping.run("replay", "--skip-invalid", "--topic", topic, file.toString())).isZero();
        assertThat(skipping.out()).contains("replayed 2 events of 1 runs").contains("(1 invalid lines, skipped)");
    }
}
