package io.trainwatch.monitor.stream;

import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the monitor's detection input is stuck: records wait on a {@code training.events} partition that this
 * instance owns while its committed offset has not moved for {@code stallAfter}. A backlog that shrinks, however
 * large, is progress; a partition with nothing waiting is never stalled. Fed with samples (committed and end
 * offsets, from a background thread); {@link #verdict} only reads. Thread-safe.
 */
public final class InputStall {

    /** The readiness verdict: the partitions stalled now, the records waiting on them and for how long. */
    public record Verdict(List<TopicPartition> stalled, long waiting, Duration since) {
        public boolean isStalled() {
            return !stalled.isEmpty();
        }
    }

    private static final Verdict NONE = new Verdict(List.of(), 0, Duration.ZERO);

    /** A partition with records waiting: its committed offset, since when it has not moved, and the lag. */
    private record Watch(long committed, Instant since, long lag) {
    }

    private final Duration stallAfter;
    private final Map<TopicPartition, Watch> watches = new HashMap<>();

    /** @param stallAfter how long records may wait without progress; zero or negative: never stalled */
    public InputStall(Duration stallAfter) {
        this.stallAfter = stallAfter;
    }

    public Duration stallAfter() {
        return stallAfter;
    }

    /**
     * One sample taken at {@code now}: the end offsets (read committed) of the partitions this instance owns and
     * the group's committed offsets (a partition with none committed counts from offset 0). Partitions left out
     * are no longer watched.
     */
    public synchronized void observe(Map<TopicPartition, Long> end, Map<TopicPartition, Long> committed, Instant now) {
        watches.keySet().retainAll(end.keySet());
        end.forEach((tp, e) -> {
            long c = committed.getOrDefault(tp, 0L);
            long lag = Math.max(0, e - c);
            Watch w = watches.get(tp);
            if (lag == 0) {
                watches.remove(tp);
            } else if (w == null || w.committed() != c) {
                watches.put(tp, new Watch(c, now, lag)); // new records waiting, or progress: the clock starts again
            } else {
                watches.put(tp, new Watch(c, w.since(), lag));
            }
        });
    }

    /** The partitions whose records have waited without progress for {@code stallAfter} or longer at {@code now}. */
    public synchronized Verdict verdict(Instant now) {
        if (stallAfter.isZero() || stallAfter.isNegative()) {
            return NONE;
        }
        List<Map.Entry<TopicPartition, Watch>> stalled = new ArrayList<>();
        for (Map.Entry<TopicPartition, Watch> e : watches.entrySet()) {
            if (!e.getValue().since().plus(stallAfter).isAfter(now)) {
                stalled.add(e);
            }
        }
        if (stalled.isEmpty()) {
            return NONE;
        }
        stalled.sort(Comparator.comparing((Map.Entry<TopicPartition, Watch> e) -> e.getKey().partition()));
        Instant oldest = stalled.stream().map(e -> e.getValue().since()).min(Comparator.naturalOrder()).orElse(now);
        return new Verdict(stalled.stream().map(Map.Entry::getKey).toList(),
                stalled.stream().mapToLong(e -> e.getValue().lag()).sum(), Duration.between(oldest, now));
    }
}
