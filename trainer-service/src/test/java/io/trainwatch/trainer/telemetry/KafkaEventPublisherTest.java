package io.trainwatch.trainer.telemetry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** With no broker at all, publishing never blocks the caller and kept events stay queued. */
class KafkaEventPublisherTest {

    @Test
    void aDeadBrokerNeverBlocksTheTrainingThread() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EventBuffer buffer = new EventBuffer(100, 10);
        KafkaEventPublisher publisher = new KafkaEventPublisher(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"), "training.events", buffer,
                Duration.ofMillis(200), registry);
        try {
            long worst = 0;
            publisher.publish(EventBufferTest.validation("r", 0));
            for (int i = 0; i < 5000; i++) {
                long t0 = System.nanoTime();
                publisher.publish(EventBufferTest.step("r", i));
                worst = Math.max(worst, System.nanoTime() - t0);
            }
            publisher.publish(EventBufferTest.finished("r"));
            assertThat(worst).as("worst publish, ns").isLessThan(50_000_000L);
            assertThat(buffer.size()).isLessThanOrEqualTo(110);
            assertThat(buffer.droppedTotal()).isGreaterThanOrEqualTo(4900);
            assertThat(registry.get("trainer.events.dropped").counter().count()).isGreaterThanOrEqualTo(4900);
            assertThat(registry.get("trainer.telemetry.queue.depth").gauge().value()).isPositive();
        } finally {
            long t0 = System.nanoTime();
            publisher.close(Duration.ofMillis(500));
            assertThat(System.nanoTime() - t0).as("close is bounded").isLessThan(5_000_000_000L);
        }
    }
}
