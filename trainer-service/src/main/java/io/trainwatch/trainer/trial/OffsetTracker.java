package io.trainwatch.trainer.trial;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which offset of each partition may be committed when trials finish out of order: everything below the
 * oldest trial still in progress, or just past the newest finished one when none is in progress. So a
 * trial is committed only after it finished, and a worker that dies leaves its trials to another worker.
 */
public final class OffsetTracker {

    private final Map<TopicPartition, TreeSet<Long>> inFlight = new HashMap<>();
    private final Map<TopicPartition, Long> highestDone = new HashMap<>();

    public void started(TopicPartition tp, long offset) {
        inFlight.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
    }

    public void finished(TopicPartition tp, long offset) {
        TreeSet<Long> set = inFlight.get(tp);
        if (set != null) {
            set.remove(offset);
        }
        highestDone.merge(tp, offset, Math::max);
    }

    /** The offset to commit for a partition (the next record to read), or null when nothing new is done. */
    public Long committable(TopicPartition tp) {
        TreeSet<Long> set = inFlight.get(tp);
        if (set != null && !set.isEmpty()) {
            // Records are taken in order and each is either in progress or done: all below the oldest are done.
            return set.first();
        }
        Long done = highestDone.get(tp);
        return done == null ? null : done + 1;
    }

    /** Forgets a partition (revoked). */
    public void forget(TopicPartition tp) {
        inFlight.remove(tp);
        highestDone.remove(tp);
    }

    public int inFlight() {
        return inFlight.values().stream().mapToInt(TreeSet::size).sum();
    }
}
