package io.trainwatch.client;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the event publisher reports about itself, as callbacks, so that the client stays free of any metrics
 * library: a service adapts them to its own meters (trainer-service to Micrometer), a plain program can use
 * {@link #counters()}. Callbacks come from the training thread, the publisher thread and the producer's I/O
 * thread, must be cheap and must not throw.
 */
public interface PublisherMetrics {

    /** Reports nothing. */
    PublisherMetrics NONE = new PublisherMetrics() {
    };

    /** The broker acknowledged one event. */
    default void published() {
    }

    /**
     * {@code count} step events were lost: queue full, broker unreachable without a spill, or spill full
     * (those are also reported to {@link #spillFull}).
     */
    default void dropped(long count) {
    }

    /** The producer failed to deliver one event after its retries. */
    default void failed() {
    }

    /** {@code count} events went to the spill file while the broker was away. */
    default void spilled(long count) {
    }

    /** {@code count} events were taken from the spill file and handed to the producer. */
    default void replayed(long count) {
    }

    /** {@code count} step events were dropped because the spill file was full (counted in {@link #dropped} too). */
    default void spillFull(long count) {
    }

    /** {@code count} corrupt or truncated records of the spill file were skipped. */
    default void spillCorrupt(long count) {
    }

    /** The spill's files now take {@code bytes} on disk (publisher thread). */
    default void spillBytes(long bytes) {
    }

    /** Counters that a program can read at any time. */
    static Counters counters() {
        return new Counters();
    }

    /** Plain thread-safe counters of what {@link PublisherMetrics} reports. */
    final class Counters implements PublisherMetrics {
        private final LongAdder published = new LongAdder();
        private final LongAdder dropped = new LongAdder();
        private final LongAdder failed = new LongAdder();
        private final LongAdder spilled = new LongAdder();
        private final LongAdder replayed = new LongAdder();
        private final LongAdder spillFull = new LongAdder();
        private final LongAdder spillCorrupt = new LongAdder();
        private volatile long spillBytes;

        @Override
        public void published() {
            published.increment();
        }

        @Override
        public void dropped(long count) {
            dropped.add(count);
        }

        @Override
        public void failed() {
            failed.increment();
        }

        @Override
        public void spilled(long count) {
            spilled.add(count);
        }

        @Override
        public void replayed(long count) {
            replayed.add(count);
        }

        @Override
        public void spillFull(long count) {
            spillFull.add(count);
        }

        @Override
        public void spillCorrupt(long count) {
            spillCorrupt.add(count);
        }

        @Override
        public void spillBytes(long bytes) {
            spillBytes = bytes;
        }

        public long spilledCount() {
            return spilled.sum();
        }

        public long replayedCount() {
            return replayed.sum();
        }

        public long spillFullCount() {
            return spillFull.sum();
        }

        public long spillCorruptCount() {
            return spillCorrupt.sum();
        }

        public long spillBytesNow() {
            return spillBytes;
        }

        public long publishedCount() {
            return published.sum();
        }

        public long droppedCount() {
            return dropped.sum();
        }

        public long failedCount() {
            return failed.sum();
        }
    }
}
