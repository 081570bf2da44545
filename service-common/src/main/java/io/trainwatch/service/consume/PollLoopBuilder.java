package io.trainwatch.service.consume;

import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.service.consume.PollLoop.AfterBatch;
import io.trainwatch.service.consume.PollLoop.BeforePoll;
import io.trainwatch.service.consume.PollLoop.Commit;
import io.trainwatch.service.consume.PollLoop.CommitOffsets;
import io.trainwatch.service.consume.PollLoop.DeadLetter;
import io.trainwatch.service.consume.PollLoop.Guard;
import io.trainwatch.service.consume.PollLoop.RecordHandler;
import io.trainwatch.service.consume.PollLoop.Setup;
import io.trainwatch.service.consume.PollLoop.Sleeper;
import org.apache.kafka.clients.consumer.Consumer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** How a {@link PollLoop} is made; every setting but the handler has a default. */
public final class PollLoopBuilder<K, V> {
    final String name;
    final Supplier<? extends Consumer<K, V>> consumers;
    Setup<K, V> setup = c -> true;
    RecordHandler<K, V> handler;
    DeadLetter<K, V> deadLetter;
    BeforePoll<K, V> beforePoll;
    AfterBatch<K, V> afterBatch;
    Guard guard = Runnable::run;
    java.util.function.Consumer<Consumer<K, V>> onClose;
    java.util.function.Consumer<Exception> onFailure;
    Commit commit = Commit.SYNC;
    BooleanSupplier commitWhen;
    CommitOffsets<K, V> commitOffsets;
    Duration commitTimeout = Duration.ofSeconds(10);
    Duration pollTimeout = Duration.ofMillis(500);
    Duration backoff = Duration.ofSeconds(1);
    Duration maxBackoff = Duration.ofSeconds(30);
    Duration idle = Duration.ofMillis(500);
    Duration joinTimeout = Duration.ofSeconds(5);
    Duration closeTimeout = Duration.ofSeconds(5);
    Sleeper sleeper;
    MeterRegistry registry;

    PollLoopBuilder(String name, Supplier<? extends Consumer<K, V>> consumers) {
        this.name = Objects.requireNonNull(name);
        this.consumers = Objects.requireNonNull(consumers);
    }

    /** Subscribes or assigns a new consumer (default: nothing, the supplier did it). */
    public PollLoopBuilder<K, V> setup(Setup<K, V> setup) {
        this.setup = setup;
        return this;
    }

    public PollLoopBuilder<K, V> handler(RecordHandler<K, V> handler) {
        this.handler = handler;
        return this;
    }

    /** Told of each skipped record (default: a warning, the first ten and every thousandth). */
    public PollLoopBuilder<K, V> deadLetter(DeadLetter<K, V> deadLetter) {
        this.deadLetter = deadLetter;
        return this;
    }

    public PollLoopBuilder<K, V> beforePoll(BeforePoll<K, V> beforePoll) {
        this.beforePoll = beforePoll;
        return this;
    }

    public PollLoopBuilder<K, V> afterBatch(AfterBatch<K, V> afterBatch) {
        this.afterBatch = afterBatch;
        return this;
    }

    public PollLoopBuilder<K, V> guard(Guard guard) {
        this.guard = guard;
        return this;
    }

    /** Runs on the loop's thread before its consumer is closed at stop (last commits). */
    public PollLoopBuilder<K, V> onClose(java.util.function.Consumer<Consumer<K, V>> onClose) {
        this.onClose = onClose;
        return this;
    }

    /** Told of every error of the loop itself, before the back-off. */
    public PollLoopBuilder<K, V> onFailure(java.util.function.Consumer<Exception> onFailure) {
        this.onFailure = onFailure;
        return this;
    }

    /** How to commit after a non-empty batch (default sync), and its timeout; at stop a last sync commit. */
    public PollLoopBuilder<K, V> commit(Commit commit, Duration timeout) {
        this.commit = commit;
        this.commitTimeout = timeout;
        return this;
    }

    /** Commits after a batch only while this holds (e.g. nothing of it waits to be published). */
    public PollLoopBuilder<K, V> commitWhen(BooleanSupplier commitWhen) {
        this.commitWhen = commitWhen;
        return this;
    }

    /**
     * Commits these offsets instead of the consumer's position: after every poll, empty or not, when they changed,
     * and at stop (for an owner that finishes records after the handler returned; see {@link CommitOffsets}).
     */
    public PollLoopBuilder<K, V> commitOffsets(CommitOffsets<K, V> offsets) {
        this.commitOffsets = offsets;
        return this;
    }

    public PollLoopBuilder<K, V> pollTimeout(Duration pollTimeout) {
        this.pollTimeout = pollTimeout;
        return this;
    }

    /** The first back-off after an error, doubled after each further one up to {@code max}. */
    public PollLoopBuilder<K, V> backoff(Duration first, Duration max) {
        this.backoff = first;
        this.maxBackoff = max.compareTo(first) < 0 ? first : max;
        return this;
    }

    /** The wait when {@link BeforePoll} says there is nothing to poll. */
    public PollLoopBuilder<K, V> idle(Duration idle) {
        this.idle = idle;
        return this;
    }

    public PollLoopBuilder<K, V> joinTimeout(Duration joinTimeout) {
        this.joinTimeout = joinTimeout;
        return this;
    }

    public PollLoopBuilder<K, V> sleeper(Sleeper sleeper) {
        this.sleeper = sleeper;
        return this;
    }

    /** Where the loop's meters go (default: a private registry, read through the loop's getters). */
    public PollLoopBuilder<K, V> metrics(MeterRegistry registry) {
        this.registry = registry;
        return this;
    }

    public PollLoop<K, V> build() {
        Objects.requireNonNull(handler, "a record handler");
        if (deadLetter == null) {
            AtomicLong n = new AtomicLong();
            deadLetter = (r, e) -> {
                long count = n.incrementAndGet();
                if (count <= 10 || count % 1000 == 0) {
                    Logger.getLogger(PollLoop.class).warnf("%s: skipped %s-%d@%d (%s); %d so far", name, r.topic(),
                            r.partition(), r.offset(), e.toString(), count);
                }
            };
        }
        return new PollLoop<>(this);
    }
}
