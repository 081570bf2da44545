package io.trainwatch.client;

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

    /**
     * A step event wakes the publisher only once this many events wait; other events wake it at once. The
     * publisher otherwise drains the queue every {@code KafkaEventPublisher.DRAIN_INTERVAL}, so the training
     * thread does not pay a thread wake-up (and the publisher does not steal a core from ND4J's threads)
     * for every step.
     */
    static final int WAKE_AT = 256;

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
    /** Written under the lock, read without it. */
    private volatile long droppedTotal;

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
        return add(event) >= 0;
    }

    /**
     * Adds an event without blocking (one lock acquisition) and says how many events this call dropped:
     * 0, the number of older steps evicted to make room (usually 1), or -1 when the event itself was dropped.
     */
    public int add(TrainingEvent event) {
        lock.lock();
        try {
            boolean step = event instanceof StepEvent;
            int evicted = 0;
            // A loop: events pushed back by the publisher may have taken the queue past its capacity.
            while (queue.size() >= capacity && evictOldestStep()) {
                evicted++;
            }
            if (queue.size() >= capacity && (step || queue.size() >= hardLimit)) {
                countDropLocked(event.runId());
                return -1;
            }
            queue.addLast(event);
            if (!step || queue.size() >= WAKE_AT) {
                notEmpty.signal();
            }
            return evicted;
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

    /** True while a consumer waits in {@link #drainTo} or {@link #poll} (tests). */
    boolean hasWaitingConsumer() {
        lock.lock();
        try {
            return lock.hasWaiters(notEmpty);
        } finally {
            lock.unlock();
        }
    }

    /** How many events the queue holds before it evicts steps. */
    public int capacity() {
        return capacity;
    }

    /** Puts events back at the head, in their order (what the publisher took but could not send yet). */
    public void pushBackAll(java.util.List<TrainingEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            for (int i = events.size() - 1; i >= 0; i--) {
                queue.addFirst(events.get(i));
            }
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves up to {@code max} of the oldest events into {@code into}; when the queue is empty, first waits up
     * to {@code timeout} for a wake-up (a step alone does not wake it). Returns how many were moved.
     */
    public int drainTo(java.util.List<TrainingEvent> into, int max, long timeout, TimeUnit unit)
            throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            if (queue.isEmpty() && nanos > 0) {
                notEmpty.awaitNanos(nanos);
            }
            int n = 0;
            while (n < max && !queue.isEmpty()) {
                into.add(queue.pollFirst());
                n++;
            }
            return n;
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
            countDropLocked(runId);
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
        return droppedTotal;
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
