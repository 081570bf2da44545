package io.trainwatch.monitor;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.monitor.support.SyntheticRuns;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

/**
 * The whole service over the real test broker: a recorded run published line by line gives its alerts on
 * {@code training.alerts} (read committed), in {@code GET /runs/{id}/alerts} and {@code /alerts}, and in
 * Prometheus; a hostile stream ends in the DLQ while the service stays up.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class MonitorServiceIT {

    @Test
    void aReplayedRunIsDiagnosedOnTheTopicInRestAndInMetrics() throws Exception {
        String suffix = "-" + UUID.randomUUID().toString().substring(0, 8);
        List<TrainingEvent> run = SyntheticRuns.exploding(7).events();
        String runId = run.get(0).runId() + suffix;
        // As `trainwatch replay` publishes a recorded run: each contract JSON line keyed by its runId, in order.
        Map<String, Object> producer = new HashMap<>(TestKafka.producerConfig());
        producer.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producer)) {
            for (TrainingEvent e : run) {
                String line = EventCodec.writeString(e).replace("\"runId\":\"" + e.runId() + "\"",
                        "\"runId\":\"" + runId + "\"");
                p.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, line.getBytes(StandardCharsets.UTF_8))).get();
            }
        }

        List<Alert> onTopic = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(committedConsumer())) {
            consumer.subscribe(List.of(Topics.TRAINING_ALERTS));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> rec : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(rec.key())) {
                        onTopic.add(EventCodec.readAlert(rec.value().getBytes(StandardCharsets.UTF_8)).value());
                    }
                }
                return onTopic.stream().anyMatch(a -> a.detector().equals("exploding-gradients"))
                        && onTopic.stream().anyMatch(a -> a.status().equals(Alert.RESOLVED));
            });
        }
        assertThat(onTopic).extracting(Alert::detector).contains("exploding-gradients", "divergence");

        given().get("/runs").then().statusCode(200).body("runId", hasItem(runId));
        given().get("/runs/" + runId).then().statusCode(200).body("status", org.hamcrest.Matchers.equalTo("diverged"));
        given().get("/runs/" + runId + "/alerts").then().statusCode(200).body("detector", hasItem("exploding-gradients"));
        given().get("/alerts?since=2000-01-01T00:00:00Z").then().statusCode(200).body("runId", hasItem(runId));
        given().get("/alerts?since=yesterday").then().statusCode(400);
        given().get("/runs/no-such-run").then().statusCode(404);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("monitor_alerts_total{detector=\"exploding-gradients\",severity="))
                .body(containsString("monitor_events_total"))
                .body(containsString("monitor_processing_latency_seconds"))
                .body(containsString("monitor_run_loss{run=\"" + runId + "\"}"))
                .body(containsString("monitor_run_layer_gradient_norm{layer=\"layer0\",run=\"" + runId + "\"}"));
    }

    @Test
    void aHostileStreamEndsInTheDeadLetterTopicAndTheServiceStaysUp() throws Exception {
        String marker = UUID.randomUUID().toString();
        List<String> hostile = List.of("not json " + marker, "{\"type\":\"step\",\"runId\":\"" + marker + "\"}",
                "[" + "[".repeat(100) + marker, "{\"schemaVersion\":99,\"type\":\"step\",\"runId\":\"" + marker
                        + "\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"step\":1,\"loss\":1}",
                "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"" + marker
                        + "\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"step\":-5,\"loss\":1}");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            for (String h : hostile) {
                producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, marker, h));
            }
            producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, marker, (String) null));
            // A valid step with a metric of the wrong type: used, but counted and reported as a warning letter.
            producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, marker, "{\"schemaVersion\":1,\"type\":\"step\","
                    + "\"runId\":\"" + marker + "\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"step\":0,\"loss\":1,"
                    + "\"updateRatios\":[1,2]}"));
            producer.flush();
        }
        List<String> reasons = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(committedConsumer())) {
            consumer.subscribe(List.of(Topics.TRAINING_EVENTS_DLQ));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> rec : consumer.poll(Duration.ofMillis(200))) {
                    if (marker.equals(rec.key())) {
                        reasons.add(EventCodec.readDeadLetter(rec.value().getBytes(StandardCharsets.UTF_8)).value().reason());
                    }
                }
                return reasons.size() >= hostile.size() + 2;
            });
        }
        assertThat(reasons).hasSize(hostile.size() + 2).allSatisfy(r -> assertThat(r).isNotBlank());
        assertThat(reasons.get(hostile.size() + 1)).startsWith("accepted without its malformed fields: field 'updateRatios'");
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().body(containsString("monitor_dlq_total"))
                .body(containsString("monitor_events_malformed_fields_total{field=\"updateRatios\"}"));
    }

    /**
     * Records near the broker's size limit (0.5x, 0.9x and all of its default 1 MB) are dead-lettered as a
     * bounded prefix with their size and hash, and the events behind them on the same partition are still
     * diagnosed: no record the broker accepts can stop a partition.
     */
    @Test
    void recordsUpToTheBrokersLimitAreDeadLetteredAndThePartitionGoesOn() throws Exception {
        int brokerLimit = 1_048_588; // Kafka's default message.max.bytes: one record batch
        String suffix = "-" + UUID.randomUUID().toString().substring(0, 8);
        List<TrainingEvent> run = SyntheticRuns.exploding(11).events();
        String runId = run.get(0).runId() + suffix;
        int[] sizes = {brokerLimit / 2, (int) (brokerLimit * 0.9), brokerLimit - 256};
        Map<String, Object> config = new HashMap<>(TestKafka.producerConfig());
        config.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        config.put("max.request.size", 2 * brokerLimit);
        config.put("compression.type", "none");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            for (int size : sizes) {
                byte[] huge = new byte[size];
                java.util.Arrays.fill(huge, (byte) ' ');
                byte[] head = ("{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"" + runId + "\",\"layerGradientNorms\":{")
                        .getBytes(StandardCharsets.UTF_8);
                System.arraycopy(head, 0, huge, 0, head.length);
                producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, huge)).get();
            }
            for (TrainingEvent e : run) {
                byte[] bytes = EventCodec.writeString(e).replace("\"runId\":\"" + e.runId() + "\"",
                        "\"runId\":\"" + runId + "\"").getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, bytes));
            }
            producer.flush();
        }
        List<io.trainwatch.events.DeadLetter> letters = new ArrayList<>();
        List<Alert> alerts = new ArrayList<>();
        Map<String, Object> c = committedConsumer();
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * brokerLimit);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(Topics.TRAINING_EVENTS_DLQ, Topics.TRAINING_ALERTS));
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                for (ConsumerRecord<String, String> rec : consumer.poll(Duration.ofMillis(200))) {
                    if (!runId.equals(rec.key())) {
                        continue;
                    }
                    byte[] value = rec.value().getBytes(StandardCharsets.UTF_8);
                    if (rec.topic().equals(Topics.TRAINING_EVENTS_DLQ)) {
                        assertThat(value.length).isLessThan(brokerLimit / 3);
                        letters.add(EventCodec.readDeadLetter(value).value());
                    } else {
                        alerts.add(EventCodec.readAlert(value).value());
                    }
                }
                return letters.size() >= sizes.length
                        && alerts.stream().anyMatch(a -> a.detector().equals("exploding-gradients"));
            });
        }
        assertThat(letters).extracting(io.trainwatch.events.DeadLetter::payloadSize)
                .containsExactly((long) sizes[0], (long) sizes[1], (long) sizes[2]);
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.reason()).contains("over the 64 KiB limit");
            assertThat(l.payloadTruncated()).isTrue();
            assertThat(l.payload()).hasSize(io.trainwatch.events.DeadLetter.MAX_PAYLOAD_BYTES);
            assertThat(l.payloadSha256()).hasSize(64);
        });
        given().get("/q/health/ready").then().statusCode(200);
    }

    private static Map<String, Object> committedConsumer() {
        Map<String, Object> c = TestKafka.consumerConfig("it-" + UUID.randomUUID());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return c;
    }
}
