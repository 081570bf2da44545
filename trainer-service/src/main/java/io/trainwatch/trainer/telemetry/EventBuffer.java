package io.trainwatch.trainer.telemetry;

import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue between training threads and the one publisher thread. {@link #offer} never blocks.
 * When it is full, the oldest {@code step} event is dropped to make room (the freshest steps matter most
 * to a live monitor), and counted per run; {@code run-started}, {@code validation}, {@code command-applied}
 * and {@code run-finished} are always kept, up to a hard limit of {@code capacity + reserve} events.
 * Order within the queue is never changed, so each run's events stay in order.
 */
public final class EventBuffer {

    /** How many runs' drop counts are remembered (they are taken when the run's run-finished is sent). */
    static final int MAX_TRACKED_RUNS = 10_000;

    private final int capacity;
    private final int hardLimit;
    private final ArrayDeque<TrainingEvent> queue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Map<String, Long> droppedByRun = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_TRACKED_RUNS;
        }
    };
    private long droppedTotal;

    public EventBuffer(int capacity, int reserve) {
        if (capacity < 1 || reserve < 0) {
            throw new IllegalArgumentException("capacity must be >= 1 and reserve >= 0");
        }
        this.capacity = capacity;
        this.hardLimit = capacity + reserve;
        this.queue = new ArrayDeque<>(Math.min(hardLimit, 4096));
    }

    /** Adds an event without blocking; returns false when the event itself was dropped. */
    public boolean offer(TrainingEvent event) {
        lock.lock();
        try {
            boolean step = event instanceof StepEvent;
            if (queue.size() >= capacity) {
                if (!evictOldestStep()) {
                    if (step || queue.size() >= hardLimit) {
                        countDrop(event.runId());
                        return false;
                    }
                }
            }
            queue.addLast(event);
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Puts back at the head an event the publisher could not send yet (kept events only). */
    public void pushBack(TrainingEvent event) {
        lock.lock();
        try {
            queue.addFirst(event);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The oldest event, waiting up to {@code timeout} for one; null if none came. */
    public TrainingEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return queue.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Counts an event lost after it left the queue (e.g. a step the broker never accepted). */
    public void countDrop(String runId) {
        lock.lock();
        try {
            droppedTotal++;
            droppedByRun.merge(runId, 1L, Long::sum);
        } finally {
            lock.unlock();
        }
    }

    /** The events of a run dropped so far, forgetting the count (call when its run-finished is sent). */
    public long takeDropped(String runId) {
        lock.lock();
        try {
            Long n = droppedByRun.remove(runId);
            return n == null ? 0 : n;
        } finally {
            lock.unlock();
        }
    }

    /** The events of a run dropped so far. */
    public long dropped(String runId) {
        lock.lock();
        try {
            return droppedByRun.getOrDefault(runId, 0L);
        } finally {
            lock.unlock();
        }
    }

    public long droppedTotal() {
        lock.lock();
        try {
            return droppedTotal;
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private boolean evictOldestStep() {
        Iterator<TrainingEvent> it = queue.iterator();
        while (it.hasNext()) {
            TrainingEvent e = it.next();
            if (e instanceof StepEvent) {
                it.remove();
                countDropLocked(e.runId());
                return true;
            }
        }
        return false;
    }

    private void countDropLocked(String runId) {
        droppedTotal++;
        droppedByRun.merge(runId, 1L, Long::sum);
    }
}
