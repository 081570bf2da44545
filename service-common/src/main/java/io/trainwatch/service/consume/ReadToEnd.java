package io.trainwatch.service.consume;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/** The bounded mode of {@link PollLoop}: one topic from its start to the end it had when asked. */
final class ReadToEnd {

    private static final Logger LOG = Logger.getLogger(ReadToEnd.class);

    private ReadToEnd() {
    }

    static <K, V> void read(Consumer<K, V> consumer, String topic, Duration timeout, LongSupplier nanoTime,
                            PollLoop.RecordHandler<K, V> handler) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            return;
        }
        List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
        long deadline = nanoTime.getAsLong() + timeout.toNanos() * 4;
        int skipped = 0;
        while (!caughtUp(consumer, end)) {
            if (nanoTime.getAsLong() > deadline) {
                throw new IllegalStateException("timed out reading " + topic + " to its end");
            }
            for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                try {
                    handler.handle(r);
                } catch (Exception e) {
                    if (++skipped <= 10) {
                        LOG.warnf("skipped %s-%d@%d while reading to the end: %s", r.topic(), r.partition(),
                                r.offset(), e.toString());
                    }
                }
            }
        }
    }

    private static boolean caughtUp(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
