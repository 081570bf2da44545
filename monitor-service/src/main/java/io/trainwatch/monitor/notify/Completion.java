package io.trainwatch.monitor.notify;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The completion of one Kafka record by the notifier: every message the record produced, on every channel, was
 * delivered or definitively given up. A reference count: the reader holds one reference while it hands the record
 * over, every place that keeps work of it (a channel's queue, a group, a message in the outbox) takes one with
 * {@link #retain()} and gives it back with {@link #release()}; at zero the record is finished (its offset may be
 * committed). Thread-safe; releasing more often than retained is ignored.
 */
public final class Completion {

    /** A completion that tracks nothing (tests, records read again while their first reading is in flight). */
    public static final Completion NONE = new Completion(null);

    private final Runnable finished;
    private final AtomicInteger references = new AtomicInteger(1);

    Completion(Runnable finished) {
        this.finished = finished;
    }

    /** Takes one more reference; returns this. */
    public Completion retain() {
        if (finished != null) {
            references.incrementAndGet();
        }
        return this;
    }

    /** Gives one reference back; the last one finishes the record. */
    public void release() {
        if (finished != null && references.getAndUpdate(n -> n > 0 ? n - 1 : 0) == 1) {
            finished.run();
        }
    }

    /** Whether every reference was given back. */
    public boolean isFinished() {
        return finished == null || references.get() == 0;
    }

    static void releaseAll(List<Completion> completions) {
        completions.forEach(Completion::release);
    }
}
