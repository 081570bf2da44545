package io.trainwatch.client;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends training events to Kafka from one publisher thread that owns an idempotent producer (key = runId),
 * fed by an {@link EventBuffer}: training threads only enqueue and never wait for the broker. The thread
 * drains the queue in batches every {@link #DRAIN_INTERVAL} rather than waking once per step. While the
 * broker is down, {@code send} gives up after {@code max.block.ms}; kept events go back to the head of
 * the queue and are retried with a capped backoff, step events are dropped and counted. A
 * {@code run-finished} leaves with the number of that run's dropped events in {@code droppedEvents}.
 */
public final class KafkaEventPublisher implements TelemetrySink, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaEventPublisher.class.getName());

    /**
     * How long the publisher sleeps when only step events arrive: it then sends what came in one go, instead
     * of waking (and competing with ND4J for the cores) once per step. Kept events and a backlog of
     * {@code EventBuffer.WAKE_AT} wake it at once. 50 ms is far below the monitor's reaction times.
     */
    static final Duration DRAIN_INTERVAL = Duration.ofMillis(50);
    /** The most events taken from the queue at once (and then 1% of its capacity: what is in flight is not bounded by it). */
    static final int MAX_BATCH = 512;

    private final String topic;
    private final EventBuffer buffer;
    private final Producer<String, byte[]> producer;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final PublisherMetrics metrics;
    private volatile boolean running = true;
    /** Events the publisher thread took from the queue and has not handed to the producer yet. */
    private volatile int inFlight;
    private volatile long lastDropLogNanos;
    /** The wait before the next try while the broker is unreachable (publisher thread only). */
    private long backoffMs = 100;

    /**
     * @param producerConfig client settings (bootstrap servers, serializers, security); idempotence, acks=all
     *                       and {@code max.block.ms} are enforced here
     * @param maxBlock       the longest one {@code send} may wait for metadata or buffer space
     * @param metrics        told of every acknowledged, dropped and failed event (null: nobody)
     */
    public KafkaEventPublisher(Map<String, Object> producerConfig, String topic, EventBuffer buffer,
                               Duration maxBlock, PublisherMetrics metrics) {
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock.toMillis());
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.putIfAbsent(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringSerializer.class.getName());
        config.putIfAbsent(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(config);
        this.topic = topic;
        this.buffer = buffer;
        this.metrics = metrics == null ? PublisherMetrics.NONE : metrics;
        this.thread = new Thread(this::loop, "trainwatch-telemetry-publisher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public void publish(TrainingEvent event) {
        // One lock acquisition; only the drops of this very call are counted here (the publisher thread
        // counts its own).
        int lost = buffer.add(event);
        if (lost != 0) {
            metrics.dropped(Math.abs(lost));
        }
    }

    public EventBuffer buffer() {
        return buffer;
    }

    private void loop() {
        int maxBatch = Math.max(1, Math.min(MAX_BATCH, buffer.capacity() / 100));
        List<TrainingEvent> batch = new ArrayList<>(maxBatch);
        while (running || buffer.size() > 0) {
            batch.clear();
            try {
                inFlight = buffer.drainTo(batch, maxBatch, DRAIN_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean stop = !sendBatch(batch);
            inFlight = 0;
            if (stop) {
                return;
            }
        }
    }

    /** Sends a batch taken from the queue; false when the thread must end (closing, interrupted). */
    private boolean sendBatch(List<TrainingEvent> batch) {
        for (int i = 0; i < batch.size(); i++) {
            TrainingEvent event = batch.get(i);
            if (event instanceof RunFinished rf) {
                long lost = buffer.takeDropped(rf.runId());
                long total = (rf.droppedEvents() == null ? 0 : rf.droppedEvents()) + lost;
                event = new RunFinished(rf.schemaVersion(), rf.runId(), rf.timestamp(), rf.studyId(),
                        rf.trialId(), rf.status(), rf.reason(), rf.step(), total);
            }
            if (send(event)) {
                backoffMs = 100;
                continue;
            }
            // The broker is unreachable: steps are dropped, the rest waits at the head of the queue.
            List<TrainingEvent> rest = new ArrayList<>(batch.size() - i);
            if (event instanceof StepEvent) {
                buffer.countDrop(event.runId());
                metrics.dropped(1);
                logDrops();
            } else {
                rest.add(event);
            }
            rest.addAll(batch.subList(i + 1, batch.size()));
            buffer.pushBackAll(rest);
            if (!running && !(event instanceof StepEvent)) {
                return false; // closing with the broker down: give up after the close deadline
            }
            try {
                if (closing.await(backoffMs, TimeUnit.MILLISECONDS) && buffer.size() == 0) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            backoffMs = Math.min(backoffMs * 2, 5000);
            return true;
        }
        return true;
    }

    private boolean send(TrainingEvent event) {
        byte[] bytes;
        try {
            bytes = EventCodec.write(event);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot encode a " + event.type() + " event of run " + event.runId(), e);
            return true; // never retry what cannot be encoded
        }
        TrainingEvent sent = event;
        try {
            producer.send(new ProducerRecord<>(topic, event.runId(), bytes), (metadata, error) -> {
                if (error == null) {
                    metrics.published();
                } else {
                    metrics.failed();
                    if (sent instanceof StepEvent) {
                        buffer.countDrop(sent.runId());
                    } else if (running) {
                        buffer.offer(sent); // a kept event: try again (after what is queued now)
                    }
                    LOG.log(Level.WARNING, "delivery of a " + sent.type() + " event of run " + sent.runId()
                            + " failed: " + error);
                }
            });
            return true;
        } catch (org.apache.kafka.common.KafkaException e) {
            return false;
        } catch (IllegalStateException e) {
            return false; // the producer was closed under a publisher thread that outlived close()'s wait
        }
    }

    private void logDrops() {
        long now = System.nanoTime();
        if (now - lastDropLogNanos > TimeUnit.SECONDS.toNanos(10)) {
            lastDropLogNanos = now;
            LOG.warning("broker unreachable: step events are being dropped (" + buffer.droppedTotal()
                    + " so far); run-started/validation/command-applied/run-finished are kept");
        }
    }

    /** Sends what is queued (waiting up to {@code timeout}), then closes the producer. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    public void close(Duration timeout) {
        running = false;
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closing.countDown();
        thread.interrupt();
        producer.close(timeout);
    }

    /** Blocks until everything queued has been handed to the producer and flushed (tests, benchmarks). */
    public void flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((buffer.size() > 0 || inFlight > 0) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                closing.await(5, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        producer.flush();
    }
}
