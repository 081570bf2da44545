package io.trainwatch.trainer.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.client.EventBuffer;
import io.trainwatch.client.PublisherMetrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The trainer's Micrometer meters for the client's event publisher: counters {@code trainer.events.published},
 * {@code trainer.events.dropped} (every step event lost: queue full, or broker unreachable and the spill off or
 * full), {@code trainer.events.failed}, the spill's {@code trainer.events.spilled}, {@code trainer.events.replayed},
 * {@code trainer.events.spill.full} (the part of the dropped ones the full spill refused),
 * {@code trainer.events.spill.corrupt}, and the gauges {@code trainer.telemetry.queue.depth} over the queue and
 * {@code trainer.telemetry.spill.bytes} (the spill's files on disk now).
 */
public final class MicrometerPublisherMetrics implements PublisherMetrics {

    private final Counter published;
    private final Counter dropped;
    private final Counter failed;
    private final Counter spilled;
    private final Counter replayed;
    private final Counter spillFull;
    private final Counter spillCorrupt;
    private final AtomicLong spillBytes = new AtomicLong();

    public MicrometerPublisherMetrics(MeterRegistry registry, EventBuffer buffer) {
        this.published = Counter.builder("trainer.events.published").description("Training events the broker acknowledged")
                .register(registry);
        this.dropped = Counter.builder("trainer.events.dropped")
                .description("Step events dropped because the queue was full or the broker unreachable").register(registry);
        this.failed = Counter.builder("trainer.events.failed")
                .description("Events the producer failed to deliver after its retries").register(registry);
        Gauge.builder("trainer.telemetry.queue.depth", buffer, EventBuffer::size)
                .description("Events waiting for the publisher thread").register(registry);
        this.spilled = Counter.builder("trainer.events.spilled")
                .description("Events written to the spill file while the broker was away").register(registry);
        this.replayed = Counter.builder("trainer.events.replayed")
                .description("Events sent from the spill file once the broker was back").register(registry);
        this.spillFull = Counter.builder("trainer.events.spill.full")
                .description("Step events dropped because the spill file was full").register(registry);
        this.spillCorrupt = Counter.builder("trainer.events.spill.corrupt")
                .description("Corrupt or truncated spill records skipped").register(registry);
        Gauge.builder("trainer.telemetry.spill.bytes", spillBytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes the telemetry spill takes on disk now").register(registry);
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

    @Override
    public void spilled(long count) {
        spilled.increment(count);
    }

    @Override
    public void replayed(long count) {
        replayed.increment(count);
    }

    @Override
    public void spillFull(long count) {
        spillFull.increment(count);
    }

    @Override
    public void spillCorrupt(long count) {
        spillCorrupt.increment(count);
    }

    @Override
    public void spillBytes(long bytes) {
        spillBytes.set(bytes);
    }
}
