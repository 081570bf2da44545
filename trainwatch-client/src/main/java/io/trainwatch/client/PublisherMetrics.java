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

    /** {@code count} step events were dropped (queue full or broker unreachable). */
    default void dropped(long count) {
    }

    /** The producer failed to deliver one event after its retries. */
    default void failed() {
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
