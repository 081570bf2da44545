package io.trainwatch.service.consume;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The one way a Trainwatch service consumes a topic: a thread of its own that creates a consumer, positions it
 * ({@link Setup}: subscribe, or assign and seek), polls, hands each record to a {@link RecordHandler}, and commits
 * after handling ({@link Commit}). One record whose handler throws is counted, handed to the {@link DeadLetter}
 * hook and skipped: it never stops the loop nor holds its partition. Any other error (the broker unreachable, a
 * failed commit, a failed setup) is counted, the consumer is closed and, after a back-off that doubles up to its
 * maximum (waited through an injected {@link Sleeper}, cut short by {@link #stop()}), a new one is set up.
 * {@link #stop()} wakes the consumer, joins the thread and may be called any number of times.
 *
 * <p>Metrics, tagged {@code loop=<name>}: {@code trainwatch.consumer.records} (records handed to the handler),
 * {@code trainwatch.consumer.skipped} (records whose handler failed), {@code trainwatch.consumer.failures}
 * (errors of the loop itself, each followed by a back-off) and the gauge {@code trainwatch.consumer.lag}
 * (records behind the end over the assigned partitions, as the consumer knew it at the last poll).
 *
 * <p>By default a commit covers the consumer's position: every record of the batch. An owner that finishes records
 * later, on other threads, gives {@link CommitOffsets} instead: then the loop commits, after every poll (also an
 * empty one: work may have finished since) and at stop, exactly the offsets it supplies, and only when they changed
 * since the last commit (as Kafka Streams and reactor-kafka commit out-of-order processing: per partition, the
 * lowest offset not yet finished).
 *
 * <p>{@link #readToEnd} is the bounded mode: read a topic from its start to the end it had when asked.
 */
public final class PollLoop<K, V> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PollLoop.class);

    /** Handles one record; what it throws skips that record only. */
    @FunctionalInterface
    public interface RecordHandler<K, V> {
        void handle(ConsumerRecord<K, V> record) throws Exception;
    }

    /** Told of every record that was skipped because its handler threw. */
    @FunctionalInterface
    public interface DeadLetter<K, V> {
        void accept(ConsumerRecord<K, V> record, Exception error);
    }

    /** Positions a new consumer; returns false when it cannot yet (a topic missing): tried again after a back-off. */
    @FunctionalInterface
    public interface Setup<K, V> {
        boolean setUp(Consumer<K, V> consumer) throws Exception;
    }

    /** Runs before every poll on the loop's thread (pause, resume, commit, assign); false = nothing to poll now. */
    @FunctionalInterface
    public interface BeforePoll<K, V> {
        boolean beforePoll(Consumer<K, V> consumer);
    }

    /** Runs after every poll, once its records are handled, even when there were none. */
    @FunctionalInterface
    public interface AfterBatch<K, V> {
        void afterBatch(Consumer<K, V> consumer, ConsumerRecords<K, V> records);
    }

    /** Runs the handling of one batch (records, after-batch hook and commit), for example under the owner's lock. */
    @FunctionalInterface
    public interface Guard {
        void run(Runnable batch);
    }

    /**
     * The offsets to commit now, per partition (the next record to read after a restart), instead of the consumer's
     * position; empty: nothing to commit. Called on the loop's thread after every poll and at stop.
     */
    @FunctionalInterface
    public interface CommitOffsets<K, V> {
        Map<TopicPartition, OffsetAndMetadata> offsets(Consumer<K, V> consumer);
    }

    /** Waits; the default one returns early when the loop stops. Tests inject one that does not wait. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** What a handler throws for a record it cannot read: skipped and counted like any failure, with this reason. */
    public static final class Unreadable extends RuntimeException {
        public Unreadable(String reason) {
            super(reason);
        }
    }

    /** When offsets are committed: after each non-empty batch is handled (sync or async), or never (the owner does). */
    public enum Commit {
        SYNC, ASYNC, NONE
    }

    private final PollLoopBuilder<K, V> b;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean stopCalled = new AtomicBoolean();
    private final Thread thread;
    private final Counter records;
    private final Counter skipped;
    private final Counter failures;
    private final AtomicLong lag = new AtomicLong();
    private final Sleeper sleeper;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile Consumer<K, V> consumer;
    private Duration nextBackoff;
    /** The supplied offsets last committed (or being committed) by this consumer; null: none yet. */
    private Map<TopicPartition, OffsetAndMetadata> lastCommitted;

    PollLoop(PollLoopBuilder<K, V> b) {
        this.b = b;
        this.sleeper = b.sleeper != null ? b.sleeper : d -> stopped.await(Math.max(1, d.toMillis()), TimeUnit.MILLISECONDS);
        this.nextBackoff = b.backoff;
        MeterRegistry registry = b.registry != null ? b.registry : new SimpleMeterRegistry();
        this.records = Counter.builder("trainwatch.consumer.records").tag("loop", b.name)
                .description("Records handed to the handler of a consumer loop").register(registry);
        this.skipped = Counter.builder("trainwatch.consumer.skipped").tag("loop", b.name)
                .description("Records skipped because their handler failed (sent to the dead-letter hook)")
                .register(registry);
        this.failures = Counter.builder("trainwatch.consumer.failures").tag("loop", b.name)
                .description("Errors of a consumer loop itself (poll, setup, commit), each followed by a back-off")
                .register(registry);
        Gauge.builder("trainwatch.consumer.lag", lag, AtomicLong::get).tag("loop", b.name)
                .description("Records behind the end of the assigned partitions at the last poll").register(registry);
        this.thread = new Thread(this::run, b.name);
        this.thread.setDaemon(true);
    }

    public static <K, V> PollLoopBuilder<K, V> builder(String name, Supplier<? extends Consumer<K, V>> consumers) {
        return new PollLoopBuilder<>(name, consumers);
    }

    /** Starts the loop's thread; returns this. */
    public PollLoop<K, V> start() {
        thread.start();
        return this;
    }

    /** Whether the current consumer is set up (positioned) and polling. */
    public boolean isReady() {
        return ready;
    }

    public long recordsHandled() {
        return (long) records.count();
    }

    public long recordsSkipped() {
        return (long) skipped.count();
    }

    public long failures() {
        return (long) failures.count();
    }

    public long lag() {
        return lag.get();
    }

    /** Stops polling: wakes the consumer, cuts any back-off short and waits for the thread. Safe to call again. */
    public void stop() {
        running = false;
        if (stopCalled.compareAndSet(false, true)) {
            stopped.countDown();
            Consumer<K, V> c = consumer;
            if (c != null) {
                c.wakeup();
            }
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(b.joinTimeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void run() {
        while (running) {
            Consumer<K, V> c = null;
            try {
                c = b.consumers.get();
                consumer = c;
                lastCommitted = null;
                if (!running) {
                    break; // stopped while the consumer was being created
                }
                while (running && !b.setup.setUp(c)) {
                    sleeper.sleep(backoff());
                }
                ready = running;
                while (running) {
                    pollOnce(c);
                }
            } catch (WakeupException e) {
                // stop() woke the consumer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } catch (Exception e) {
                if (running) {
                    failed(e);
                }
            } finally {
                ready = false;
                consumer = null;
                if (c != null) {
                    closeQuietly(c);
                }
            }
        }
    }

    private void failed(Exception e) {
        failures.increment();
        Duration wait = backoff();
        LOG.warnf("%s: %s; a new consumer in %d ms", b.name, e.toString(), wait.toMillis());
        if (b.onFailure != null) {
            b.onFailure.accept(e);
        }
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** The back-off to wait now; the next one doubles, up to the maximum. */
    private Duration backoff() {
        Duration now = nextBackoff;
        Duration doubled = now.multipliedBy(2);
        nextBackoff = doubled.compareTo(b.maxBackoff) > 0 ? b.maxBackoff : doubled;
        return now;
    }

    /** One poll and the handling of its records (package-private for tests that drive the loop by hand). */
    void pollOnce(Consumer<K, V> c) throws InterruptedException {
        if (b.beforePoll != null && !b.beforePoll.beforePoll(c)) {
            sleeper.sleep(b.idle);
            return;
        }
        ConsumerRecords<K, V> batch = c.poll(b.pollTimeout);
        b.guard.run(() -> {
            for (ConsumerRecord<K, V> r : batch) {
                handle(r);
            }
            if (b.afterBatch != null) {
                b.afterBatch.afterBatch(c, batch);
            }
            if (b.commitOffsets != null) {
                if (b.commitWhen == null || b.commitWhen.getAsBoolean()) {
                    commitSupplied(c);
                }
            } else if (!batch.isEmpty() && (b.commitWhen == null || b.commitWhen.getAsBoolean())) {
                commit(c);
            }
        });
        lag.set(lagOf(c));
        nextBackoff = b.backoff; // a good poll: the next failure starts from the first back-off again
    }

    private void handle(ConsumerRecord<K, V> r) {
        try {
            b.handler.handle(r);
            records.increment();
        } catch (WakeupException e) {
            throw e;
        } catch (Exception e) {
            records.increment();
            skipped.increment();
            try {
                b.deadLetter.accept(r, e);
            } catch (RuntimeException hookFailed) {
                LOG.warnf("%s: the dead-letter hook failed on %s-%d@%d: %s", b.name, r.topic(), r.partition(),
                        r.offset(), hookFailed.toString());
            }
        }
    }

    private void commit(Consumer<K, V> c) {
        switch (b.commit) {
            case SYNC -> c.commitSync(b.commitTimeout);
            case ASYNC -> c.commitAsync((offsets, e) -> {
                if (e != null) {
                    LOG.debugf("%s: offset commit failed: %s", b.name, e.toString());
                }
            });
            case NONE -> {
            }
        }
    }

    /** Commits the owner's offsets when they changed since the last commit. */
    private void commitSupplied(Consumer<K, V> c) {
        Map<TopicPartition, OffsetAndMetadata> offsets = b.commitOffsets.offsets(c);
        if (offsets.isEmpty() || offsets.equals(lastCommitted)) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> now = Map.copyOf(offsets);
        switch (b.commit) {
            case SYNC -> {
                c.commitSync(now, b.commitTimeout);
                lastCommitted = now;
            }
            case ASYNC -> {
                lastCommitted = now;
                c.commitAsync(now, (done, e) -> {
                    if (e != null) {
                        LOG.debugf("%s: offset commit failed: %s", b.name, e.toString());
                        lastCommitted = null; // the next poll commits them again (the callback runs on this thread)
                    }
                });
            }
            case NONE -> {
            }
        }
    }

    private static long lagOf(Consumer<?, ?> c) {
        long sum = 0;
        try {
            for (var tp : c.assignment()) {
                OptionalLong l = c.currentLag(tp);
                if (l.isPresent()) {
                    sum += l.getAsLong();
                }
            }
        } catch (RuntimeException e) {
            return 0; // lag is best effort
        }
        return sum;
    }

    /** Closes a consumer; when the loop stops, first the owner's last words and a last commit of what was handled. */
    private void closeQuietly(Consumer<K, V> c) {
        if (!running) {
            try {
                if (b.onClose != null) {
                    b.onClose.accept(c);
                }
                if (b.commit != Commit.NONE && (b.commitWhen == null || b.commitWhen.getAsBoolean())) {
                    if (b.commitOffsets == null) {
                        c.commitSync(b.commitTimeout);
                    } else {
                        Map<TopicPartition, OffsetAndMetadata> offsets = b.commitOffsets.offsets(c);
                        if (!offsets.isEmpty()) {
                            c.commitSync(offsets, b.commitTimeout);
                        }
                    }
                }
            } catch (RuntimeException e) {
                LOG.debugf("%s: last commit: %s", b.name, e.toString());
            }
        }
        try {
            c.close(b.closeTimeout);
        } catch (RuntimeException e) {
            LOG.debugf("%s: closing the consumer: %s", b.name, e.toString());
        }
    }

    /**
     * Reads the given topic from its start up to the end offsets it had when called, handing every record to
     * {@code handler} (a record it throws on is logged and skipped), on the caller's thread. A topic that does not
     * exist reads as empty. Throws {@link IllegalStateException} when the end is not reached within
     * {@code 4 × timeout}.
     */
    public static <K, V> void readToEnd(Consumer<K, V> consumer, String topic, Duration timeout,
                                        RecordHandler<K, V> handler) {
        ReadToEnd.read(consumer, topic, timeout, System::nanoTime, handler);
    }
}
