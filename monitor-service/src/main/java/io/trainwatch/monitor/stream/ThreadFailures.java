package io.trainwatch.monitor.stream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The recent failures of the monitor's stream threads. Kafka Streams replaces a failed thread, which then reads
 * the same records again: a record or a bug that fails it every time would go on for ever while the service
 * looked healthy, and every run of the partitions it holds would get no diagnosis. {@link #failing()} is true
 * while {@link #LIMIT} or more failures happened within {@link #WINDOW}, and readiness goes down with it.
 */
public final class ThreadFailures {

    static final Duration WINDOW = Duration.ofMinutes(5);
    static final int LIMIT = 3;

    private final Clock clock;
    private final Deque<Instant> recent = new ArrayDeque<>();

    public ThreadFailures(Clock clock) {
        this.clock = clock;
    }

    /** Records a failure now; returns the failures within the window, this one included. */
    public synchronized int failed() {
        recent.addLast(clock.instant());
        return count();
    }

    /** Whether the threads keep failing: {@link #LIMIT} or more failures within the last {@link #WINDOW}. */
    public synchronized boolean failing() {
        return count() >= LIMIT;
    }

    /** The failures within the window. */
    public synchronized int count() {
        Instant since = clock.instant().minus(WINDOW);
        while (!recent.isEmpty() && recent.peekFirst().isBefore(since)) {
            recent.removeFirst();
        }
        while (recent.size() > LIMIT * 10) {
            recent.removeFirst();
        }
        return recent.size();
    }
}
