package io.trainwatch.trainer.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.client.EventBuffer;
import io.trainwatch.client.PublisherMetrics;

/**
 * The trainer's Micrometer meters for the client's event publisher: counters {@code trainer.events.published},
 * {@code trainer.events.dropped} (every step event dropped, queue full or broker unreachable),
 * {@code trainer.events.failed} and the gauge {@code trainer.telemetry.queue.depth} over the queue.
 */
public final class MicrometerPublisherMetrics implements PublisherMetrics {

    private final Counter published;
    private final Counter dropped;
    private final Counter failed;

    public MicrometerPublisherMetrics(MeterRegistry registry, EventBuffer buffer) {
        this.published = Counter.builder("trainer.events.published").description("Training events the broker acknowledged")
                .register(registry);
        this.dropped = Counter.builder("trainer.events.dropped")
                .description("Step events dropped because the queue was full or the broker unreachable").register(registry);
        this.failed = Counter.builder("trainer.events.failed")
                .description("Events the producer failed to deliver after its retries").register(registry);
        Gauge.builder("trainer.telemetry.queue.depth", buffer, EventBuffer::size)
                .description("Events waiting for the publisher thread").register(registry);
    }

    @Override
    public void published() {
        published.increment();
    }

    @Override
    public void dropped(long count) {
        dropped.increment(count);
    }

    @Override
    public void failed() {
        failed.increment();
    }
}
