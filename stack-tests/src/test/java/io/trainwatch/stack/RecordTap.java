package io.trainwatch.stack;

import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Every record of some topics from their beginning, read on a thread of its own with no consumer group, whose key
 * passes a filter, kept raw with the moment it arrived here: what the whole-stack tests assert on (the closed loop's
 * events, alerts and commands of a run) and what the reliability probes count (lost, duplicated, dead-lettered, how
 * long a backlog took to arrive). {@code read_committed} or {@code read_uncommitted}, so that a
 * probe can show what an open or aborted transaction leaves visible. It reconnects by itself when the broker goes
 * away and comes back (the consumer's own retries). At most {@link #MAX_RECORDS} are kept.
 */
public final class RecordTap implements AutoCloseable {

    static final int MAX_RECORDS = 500_000;

    /** One record as read: topic, partition, offset, key, value, and when it arrived (System.nanoTime). */
    public record Rec(String topic, int partition, long offset, String key, byte[] value, long arrivedNanos) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Predicate<String> keys;
    private final Thread thread;
    private final List<Rec> records = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<TrainingEvent> events = new ArrayList<>();
    private final List<Alert> alerts = new ArrayList<>();
    private final List<TunerCommand> commands = new ArrayList<>();
    private int decoded;
    private volatile boolean running = true;

    /**
     * The committed training events, alerts and tuner commands of the runs whose key (run id) starts with
     * {@code keyPrefix}: what the closed-loop tests read.
     */
    public static RecordTap runsStartingWith(String bootstrapServers, String keyPrefix) {
        return new RecordTap(bootstrapServers, true, k -> k != null && k.startsWith(keyPrefix),
                Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS, Topics.TUNER_COMMANDS);
    }

    public RecordTap(String bootstrapServers, boolean readCommitted, Predicate<String> keys, String... topics) {
        this.keys = keys;
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        config.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "stack-test-tap-" + (readCommitted ? "committed" : "uncommitted"));
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "stack-test-tap");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (keys.test(r.key()) && records.size() < MAX_RECORDS) {
                            records.add(new Rec(r.topic(), r.partition(), r.offset(), r.key(), r.value(), System.nanoTime()));
                        }
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // The broker is away (a probe stopped it): the consumer goes on from its position when it is back.
                    sleepQuietly();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The valid training events read so far (decoded once each), in the order they were read. */
    public synchronized List<TrainingEvent> events() {
        decodeNew();
        return List.copyOf(events);
    }

    /** The valid alerts read so far (decoded once each), in the order they were read. */
    public synchronized List<Alert> alerts() {
        decodeNew();
        return List.copyOf(alerts);
    }

    /** The valid tuner commands read so far (decoded once each), in the order they were read. */
    public synchronized List<TunerCommand> commands() {
        decodeNew();
        return List.copyOf(commands);
    }

    /** The training events of one run, in topic order (one partition per run). */
    public List<TrainingEvent> events(String runId) {
        return events().stream().filter(e -> e.runId().equals(runId)).toList();
    }

    public List<Alert> alerts(String runId) {
        return alerts().stream().filter(a -> a.runId().equals(runId)).toList();
    }

    public List<TunerCommand> commands(String runId) {
        return commands().stream().filter(c -> c.runId().equals(runId)).toList();
    }

    private void decodeNew() {
        int n = records.size();
        for (; decoded < n; decoded++) {
            Rec r = records.get(decoded);
            if (r.value() == null) {
                continue;
            }
            switch (r.topic()) {
                case Topics.TRAINING_EVENTS -> keep(EventCodec.readTrainingEvent(r.value()), events);
                case Topics.TRAINING_ALERTS -> keep(EventCodec.readAlert(r.value()), alerts);
                case Topics.TUNER_COMMANDS -> keep(EventCodec.readCommand(r.value()), commands);
                default -> { }
            }
        }
    }

    private static <T> void keep(ReadResult<T> read, List<T> into) {
        if (read.isValid()) {
            into.add(read.value());
        }
    }

    /** The records of {@code topic} read so far, in the order they were read. */
    public List<Rec> of(String topic) {
        synchronized (records) {
            return records.stream().filter(r -> r.topic().equals(topic)).toList();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
