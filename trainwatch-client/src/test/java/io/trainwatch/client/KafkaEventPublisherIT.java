package io.trainwatch.client;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With no broker at all, publishing never blocks the caller and kept events stay queued; with the real
 * broker, batched draining delivers every event of a run in order.
 */
class KafkaEventPublisherIT {

    @Test
    void aDeadBrokerNeverBlocksTheTrainingThread() {
        PublisherMetrics.Counters metrics = PublisherMetrics.counters();
        EventBuffer buffer = new EventBuffer(100, 10);
        KafkaEventPublisher publisher = new KafkaEventPublisher(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"), "training.events", buffer,
                Duration.ofSeconds(2), metrics);
        try {
            long worst = 0;
            publisher.publish(EventBufferTest.validation("r", 0));
            for (int i = 0; i < 5000; i++) {
                long t0 = System.nanoTime();
                publisher.publish(EventBufferTest.step("r", i));
                worst = Math.max(worst, System.nanoTime() - t0);
            }
            publisher.publish(EventBufferTest.finished("r"));
            System.out.printf("KafkaEventPublisherIT: worst publish with a dead broker %.1f ms%n", worst / 1e6);
            // A publish that waited for the broker would leave room in the buffer and drop nothing: the drops
            // below show that every publish returned without waiting.
            assertThat(buffer.size()).isLessThanOrEqualTo(110);
            assertThat(buffer.droppedTotal()).isGreaterThanOrEqualTo(4900);
            assertThat(metrics.droppedCount()).isGreaterThanOrEqualTo(4900);
            assertThat(buffer.size()).isPositive();
        } finally {
            long t0 = System.nanoTime();
            publisher.close(Duration.ofMillis(500));
            assertThat(System.nanoTime() - t0).as("close is bounded").isLessThan(5_000_000_000L);
        }
    }

    @Test
    void batchedDrainingDeliversEveryEventInOrder() throws Exception {
        PublisherMetrics.Counters metrics = PublisherMetrics.counters();
        String bootstrap = io.trainwatch.kafka.TestKafka.bootstrapServers();
        String run = "publisher-order-" + System.nanoTime();
        KafkaEventPublisher publisher = new KafkaEventPublisher(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap), io.trainwatch.events.Topics.TRAINING_EVENTS, new EventBuffer(10_000, 100),
                Duration.ofSeconds(5), metrics);
        int steps = 700; // more than EventBuffer.WAKE_AT and several batches of 100
        try {
            publisher.publish(EventBufferTest.validation(run, 0));
            for (int i = 0; i < steps; i++) {
                publisher.publish(EventBufferTest.step(run, i));
            }
            publisher.publish(EventBufferTest.finished(run));
            publisher.flush(Duration.ofSeconds(30));
        } finally {
            publisher.close(Duration.ofSeconds(10));
        }
        java.util.List<io.trainwatch.events.TrainingEvent> got = new java.util.ArrayList<>();
        Map<String, Object> config = Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                org.apache.kafka.clients.consumer.ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringDeserializer.class.getName(),
                org.apache.kafka.clients.consumer.ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]>(config)) {
            var partitions = consumer.partitionsFor(io.trainwatch.events.Topics.TRAINING_EVENTS).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (got.size() < steps + 2 && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (run.equals(r.key())) {
                        got.add(io.trainwatch.events.EventCodec.readTrainingEvent(r.value()).value());
                    }
                }
            }
        }
        assertThat(got).hasSize(steps + 2);
        assertThat(got.get(0).type()).isEqualTo("validation");
        assertThat(got.get(steps + 1).type()).isEqualTo("run-finished");
        for (int i = 0; i < steps; i++) {
            assertThat(got.get(i + 1).stepOrMinusOne()).isEqualTo(i);
        }
        assertThat(((io.trainwatch.events.RunFinished) got.get(steps + 1)).droppedEvents()).isZero();
        assertThat(metrics.publishedCount()).isEqualTo(steps + 2);
    }
}
