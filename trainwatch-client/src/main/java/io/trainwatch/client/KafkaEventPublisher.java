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
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends training events to Kafka from one publisher thread that owns an idempotent producer (key = runId),
 * fed by an {@link EventBuffer}: training threads only enqueue and never wait for the broker. The thread
 * drains the queue in batches every {@link #DRAIN_INTERVAL} rather than waking once per step. While the
 * broker is down, {@code send} gives up after {@code max.block.ms}; kept events go back to the head of
 * the queue and are retried with a capped backoff, step events are dropped and counted. A
 * {@code run-finished} leaves with the number of that run's dropped events in {@code droppedEvents}.
 *
 * <p>With a {@link SpillFile}, nothing is dropped while the broker is away: the event that could not be sent
 * and everything queued after it go to the spill (on this thread, never the caller's), in order; while the spill
 * holds anything, everything queued goes after it, and its records are sent oldest first once the broker is back,
 * so each run's events stay in order. Only what exceeds the spill's size is dropped: steps, counted (a kept event
 * that does not fit waits at the head of the queue, holding back what came after it). Unsent records stay on disk
 * when the publisher closes or the process dies, and are sent by the next publisher that opens the spill.
 *
 * <p>Longer than most classes here: the send loop, its backoff and the switch between sending from the queue and
 * from the spill are the state of one thread (which event leaves next, and whether the broker answers), kept in
 * one place so that the order they guarantee can be read in one place.
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
    /** The most spilled records sent between two moves of the queue to the spill (and commits of the read position). */
    static final int REPLAY_BATCH = 2000;

    private final String topic;
    private final EventBuffer buffer;
    private final Producer<String, byte[]> producer;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final PublisherMetrics metrics;
    /** Null: no spill (events beyond the queue are dropped). Used by the publisher thread only. */
    private final SpillFile spill;
    /** True while the spill holds unsent records. */
    private volatile boolean spilling;
    /** True while the publisher thread is in {@code producer.send} (publisher thread only). */
    private boolean inSend;
    /** Set by a send's callback that ran inline because the broker could not be reached (publisher thread only). */
    private boolean unreachable;
    /** Set when the spill failed: it is left alone from then on (publisher thread only). */
    private boolean spillBroken;
    private volatile boolean running = true;
    /** Events the publisher thread took from the queue and has not handed to the producer yet. */
    private volatile int inFlight;
    /** Rounds of the publisher loop so far (written by the publisher thread only; read by {@link #flush}). */
    private volatile long rounds;
    private volatile long lastDropLogNanos;
    /** The wait before the next try while the broker is unreachable (publisher thread only). */
    private long backoffMs = 100;
    /** Told of every run-finished the broker acknowledged. */
    private volatile Consumer<RunFinished> runFinishedAcknowledged = f -> {
    };

    /**
     * @param producerConfig client settings (bootstrap servers, serializers, security); idempotence, acks=all
     *                       and {@code max.block.ms} are enforced here
     * @param maxBlock       the longest one {@code send} may wait for metadata or buffer space
     * @param metrics        told of every acknowledged, dropped and failed event (null: nobody)
     */
    public KafkaEventPublisher(Map<String, Object> producerConfig, String topic, EventBuffer buffer,
                               Duration maxBlock, PublisherMetrics metrics) {
        this(producerConfig, topic, buffer, maxBlock, metrics, null);
    }

    /**
     * A publisher that spills what the broker cannot take to {@code spill} (null: none), which it then owns:
     * it closes it when it ends.
     */
    public KafkaEventPublisher(Map<String, Object> producerConfig, String topic, EventBuffer buffer,
                               Duration maxBlock, PublisherMetrics metrics, SpillFile spill) {
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
        this.spill = spill;
        this.spilling = spill != null && !spill.isEmpty();
        this.metrics.spillBytes(spill == null ? 0 : spill.bytesOnDisk());
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

    /**
     * Calls {@code listener} with every {@code run-finished} the broker has acknowledged, whether it was sent from
     * the queue or from the spill, on the producer's I/O thread: it must be quick and must not throw. A caller that
     * keeps a run's record until its end has surely reached the broker (trainer-service's run journal) listens here.
     */
    public void onRunFinishedAcknowledged(Consumer<RunFinished> listener) {
        this.runFinishedAcknowledged = listener;
    }

    public EventBuffer buffer() {
        return buffer;
    }

    /** True while the spill holds events not sent yet. */
    public boolean spilling() {
        return spilling;
    }

    private void loop() {
        int maxBatch = Math.max(1, Math.min(MAX_BATCH, buffer.capacity() / 100));
        List<TrainingEvent> batch = new ArrayList<>(maxBatch);
        try {
            while (true) {
                rounds++;
                if (spilling) {
                    if (!replay()) {
                        return;
                    }
                    continue;
                }
                if (!running && buffer.size() == 0) {
                    return;
                }
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
        } finally {
            closeSpill();
        }
    }

    /** Sends a batch taken from the queue; false when the thread must end (closing, interrupted). */
    private boolean sendBatch(List<TrainingEvent> batch) {
        for (int i = 0; i < batch.size(); i++) {
            TrainingEvent event = batch.get(i);
            event = withDrops(event, true);
            if (send(event)) {
                backoffMs = 100;
                continue;
            }
            if (spill != null && !spillBroken) {
                // The broker is unreachable: this event (with the drops it took) and the rest go to the spill,
                // in order, then the queue.
                batch.set(i, event);
                spillAll(batch.subList(i, batch.size()));
                return backoff();
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

    /** A run-finished with the run's drops counted so far added to its {@code droppedEvents}. */
    private TrainingEvent withDrops(TrainingEvent event, boolean take) {
        if (event instanceof RunFinished rf) {
            long lost = take ? buffer.takeDropped(rf.runId()) : buffer.dropped(rf.runId());
            if (lost == 0) {
                return event;
            }
            long total = (rf.droppedEvents() == null ? 0 : rf.droppedEvents()) + lost;
            return new RunFinished(rf.schemaVersion(), rf.runId(), rf.timestamp(), rf.studyId(),
                    rf.trialId(), rf.status(), rf.reason(), rf.step(), total);
        }
        return event;
    }

    /**
     * Sends the spill's oldest records (after moving what is queued behind them); on a failure, leaves the
     * record for the next try and waits. False when the thread must end.
     */
    private boolean replay() {
        try {
            spillQueue();
            int sent = 0;
            boolean failed = false;
            long corrupt = -spill.corruptRecords();
            byte[] record;
            while (sent < REPLAY_BATCH && !Thread.currentThread().isInterrupted() && (record = spill.next()) != null) {
                TrainingEvent event = decode(record);
                if (event == null) {
                    corrupt++; // intact on disk but not an event: skipped and counted like a damaged record
                    continue;
                }
                // The run's drops are taken only once its run-finished has left: a failed try leaves them counted.
                if (!send(withDrops(event, false))) {
                    spill.unread();
                    failed = true;
                    break;
                }
                if (event instanceof RunFinished) {
                    buffer.takeDropped(event.runId());
                }
                sent++;
            }
            spill.commit();
            corrupt += spill.corruptRecords();
            if (corrupt > 0) {
                metrics.spillCorrupt(corrupt);
            }
            if (sent > 0) {
                metrics.replayed(sent);
            }
            spilling = !spill.isEmpty();
            metrics.spillBytes(spill.bytesOnDisk());
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            if (!failed) {
                backoffMs = 100;
                return true;
            }
            if (!running) {
                spillQueue(); // closing with the broker away: what is queued waits on disk for the next start
                return false;
            }
            return backoff();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the telemetry spill failed; it is left as it is and events beyond the queue"
                    + " are dropped from now on", e);
            spilling = false;
            spillBroken = true;
            return true;
        }
    }

    /** Moves everything queued to the end of the spill (it is newer than what the spill holds). */
    private void spillQueue() {
        List<TrainingEvent> queued = new ArrayList<>(MAX_BATCH);
        int before = buffer.size();
        // In batches: the training thread never waits long for the queue's lock.
        try {
            for (int moved = 0; moved < before; moved += queued.size()) {
                queued.clear();
                if (buffer.drainTo(queued, MAX_BATCH, 0, TimeUnit.MILLISECONDS) == 0 || !spillAll(queued)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // not thrown: a zero wait never waits
        }
    }

    /**
     * Appends events to the spill in order; a step that does not fit is dropped and counted, a kept event that
     * does not fit goes back to the head of the queue with everything after it (then false).
     */
    private boolean spillAll(List<TrainingEvent> events) {
        boolean all = true;
        long spilled = 0;
        long full = 0;
        for (int i = 0; i < events.size(); i++) {
            TrainingEvent event = events.get(i);
            byte[] bytes;
            try {
                bytes = EventCodec.write(event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot encode a " + event.type() + " event of run " + event.runId(), e);
                continue;
            }
            if (spill.append(bytes)) {
                spilled++;
            } else if (event instanceof StepEvent) {
                buffer.countDrop(event.runId());
                full++;
            } else {
                buffer.pushBackAll(new ArrayList<>(events.subList(i, events.size())));
                all = false;
                break;
            }
        }
        spill.flush();
        if (spilled > 0) {
            spilling = true;
            metrics.spilled(spilled);
        }
        if (full > 0) {
            metrics.spillFull(full);
            metrics.dropped(full);
            logDrops();
        }
        metrics.spillBytes(spill.bytesOnDisk());
        return all;
    }

    /**
     * Waits before the next try while the broker is away, moving what gets queued meanwhile to the spill every
     * {@link #DRAIN_INTERVAL}; false when closing or interrupted.
     */
    private boolean backoff() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
        try {
            while (System.nanoTime() < deadline) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (closing.await(Math.max(1, Math.min(left, DRAIN_INTERVAL.toMillis())), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                if (!running) {
                    return true; // closing: one more try right away, then the rest stays on disk
                }
                if (buffer.size() > 0) {
                    spillQueue();
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static TrainingEvent decode(byte[] record) {
        try {
            var read = EventCodec.readTrainingEvent(record);
            if (read.value() != null) {
                return read.value();
            }
            LOG.warning("skipping an unreadable event in the spill: " + read.error());
        } catch (RuntimeException e) {
            LOG.warning("skipping an unreadable event in the spill: " + e);
        }
        return null;
    }

    private void closeSpill() {
        if (spill != null) {
            Thread.interrupted(); // close() interrupts a thread that outlived its wait: still write the spill out
            try {
                if (!spillBroken) {
                    spillQueue();
                }
                spill.close();
                metrics.spillBytes(spill.bytesOnDisk());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot close the telemetry spill", e);
            }
        }
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
        unreachable = false;
        inSend = true;
        try {
            producer.send(new ProducerRecord<>(topic, event.runId(), bytes), (metadata, error) -> {
                if (error == null) {
                    metrics.published();
                    if (sent instanceof RunFinished finished) {
                        try {
                            runFinishedAcknowledged.accept(finished);
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "run-finished listener failed", e);
                        }
                    }
                    return;
                }
                if (inSend && Thread.currentThread() == thread
                        && error instanceof org.apache.kafka.common.errors.TimeoutException) {
                    // No metadata within max.block.ms: the producer reports it through this callback, before send
                    // returns. The broker is unreachable: the caller keeps the event (spill, queue) and backs off.
                    unreachable = true;
                    return;
                }
                metrics.failed();
                if (sent instanceof StepEvent) {
                    buffer.countDrop(sent.runId());
                } else if (running) {
                    buffer.offer(sent); // a kept event: try again (after what is queued now)
                }
                LOG.log(Level.WARNING, "delivery of a " + sent.type() + " event of run " + sent.runId()
                        + " failed: " + error);
            });
            return !unreachable;
        } catch (org.apache.kafka.common.KafkaException e) {
            return false;
        } catch (IllegalStateException e) {
            return false; // the producer was closed under a publisher thread that outlived close()'s wait
        } finally {
            inSend = false;
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
        if (spill != null) {
            try {
                thread.join(2000); // it writes what is queued to the spill, then closes it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close(timeout);
    }

    /** Blocks until everything queued has been handed to the producer and flushed (tests, benchmarks). */
    public void flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (buffer.size() > 0 || inFlight > 0 || spilling) {
                    closing.await(5, TimeUnit.MILLISECONDS);
                    continue;
                }
                // The thread may have taken a batch from the queue and not yet said so (inFlight): once it has gone
                // round its loop again, whatever it took then has been handed to the producer or spilled.
                long round = rounds;
                while (rounds == round && thread.isAlive() && System.nanoTime() < deadline) {
                    closing.await(5, TimeUnit.MILLISECONDS);
                }
                if (buffer.size() == 0 && inFlight == 0 && !spilling) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        producer.flush();
    }
}
