package io.trainwatch.monitor.notify;

import io.quarkus.logging.Log;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The notifier's records not yet finished, per partition, and the offsets that are safe to commit: per partition
 * the lowest offset read and not finished, or, when all are finished, the one after the highest read. Records
 * finish out of order (channels deliver at their own pace), so a restart reads again from the first unfinished
 * record: at-least-once, as Kafka Streams and reactor-kafka commit out-of-order work.
 *
 * <p>Bounded: {@link #pauseOrResume} pauses the consumer's partitions while {@code max} records are unfinished
 * (the consumer keeps polling, so it stays in its group) and resumes them below that; the records of the batch
 * being handled can take it past {@code max} by at most one batch ({@code max.poll.records}).
 *
 * <p>A record read again while its first reading is still unfinished (a new consumer after an error, a partition
 * given back by a rebalance) adds nothing: the first reading finishes it. The state of a partition taken away is
 * kept, so that its unfinished records still hold its offset when it comes back. Thread-safe: records finish on
 * the channels' threads.
 */
public final class UnfinishedOffsets {

    private static final class PartitionState {
        final TreeSet<Long> unfinished = new TreeSet<>();
        /** The offset after the highest record read since the partition was assigned; -1: none read. */
        long next = -1;
    }

    private final int max;
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private int unfinished;
    private volatile boolean paused;

    public UnfinishedOffsets(int max) {
        this.max = Math.max(1, max);
    }

    /** Starts tracking a record; the caller releases the returned completion once it has handed the record over. */
    public synchronized Completion begin(String topic, int partition, long offset) {
        PartitionState p = partitions.computeIfAbsent(new TopicPartition(topic, partition), k -> new PartitionState());
        p.next = Math.max(p.next, offset + 1);
        if (!p.unfinished.add(offset)) {
            return Completion.NONE; // read again while its first reading is in flight: that one finishes it
        }
        unfinished++;
        return new Completion(() -> finish(p, offset));
    }

    private synchronized void finish(PartitionState p, long offset) {
        if (p.unfinished.remove(offset)) {
            unfinished--;
        }
    }

    /**
     * Partitions (re)assigned to the consumer: it reads them from their committed offsets, so what this process
     * read of them before says nothing about where reading resumes; their unfinished records are kept.
     */
    public synchronized void assigned(Collection<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            PartitionState p = partitions.get(tp);
            if (p != null) {
                p.next = -1;
            }
        }
    }

    /** The offsets safe to commit for these partitions (those with nothing read since assignment are left out). */
    public synchronized Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> of) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : of) {
            PartitionState p = partitions.get(tp);
            if (p == null) {
                continue;
            }
            if (!p.unfinished.isEmpty()) {
                out.put(tp, new OffsetAndMetadata(p.unfinished.first()));
            } else if (p.next >= 0) {
                out.put(tp, new OffsetAndMetadata(p.next));
            }
        }
        return out;
    }

    /** Records read and not finished, over all partitions. */
    public synchronized int unfinished() {
        return unfinished;
    }

    public int max() {
        return max;
    }

    /**
     * Pauses every assigned partition while {@code max} records are unfinished, resumes them once fewer are; the
     * loop goes on polling (a paused consumer gets no records but stays in its group). Call before every poll.
     */
    public void pauseOrResume(Consumer<?, ?> consumer) {
        int now = unfinished();
        if (now >= max) {
            consumer.pause(consumer.assignment()); // again each time: a rebalance hands out unpaused partitions
            if (!paused) {
                paused = true;
                Log.warnf("Chat notifier: %d record(s) not yet delivered (at most %d); reading paused until chat "
                        + "deliveries finish", now, max);
            }
        } else if (paused) {
            paused = false;
            consumer.resume(consumer.paused());
            Log.infof("Chat notifier: %d record(s) not yet delivered; reading resumed", now);
        }
    }

    /** Whether {@link #pauseOrResume} holds the consumer paused now. */
    public boolean isPaused() {
        return paused;
    }
}
