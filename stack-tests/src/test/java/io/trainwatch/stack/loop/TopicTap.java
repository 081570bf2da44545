package io.trainwatch.stack.loop;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads {@code training.events}, {@code training.alerts} and {@code tuner.commands} from the beginning on a
 * thread of its own and keeps the decoded records whose key (run id) starts with a prefix: what the closed-loop
 * tests assert on. At most {@link #MAX_RECORDS} records are kept.
 */
final class TopicTap implements AutoCloseable {

    static final int MAX_RECORDS = 200_000;

    private final String keyPrefix;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    private final List<TunerCommand> commands = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile int kept;

    TopicTap(String bootstrapServers, String keyPrefix) {
        this.keyPrefix = keyPrefix;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "closed-loop-tap-" + keyPrefix),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS, Topics.TUNER_COMMANDS)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "closed-loop-tap");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !r.key().startsWith(keyPrefix) || r.value() == null || kept >= MAX_RECORDS) {
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
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private <T> void keep(ReadResult<T> read, List<T> into) {
        if (read.isValid()) {
            into.add(read.value());
            kept++;
        }
    }

    /** The training events of one run, in topic order (one partition per run). */
    List<TrainingEvent> events(String runId) {
        return events.stream().filter(e -> e.runId().equals(runId)).toList();
    }

    List<Alert> alerts(String runId) {
        return alerts.stream().filter(a -> a.runId().equals(runId)).toList();
    }

    List<TunerCommand> commands(String runId) {
        return commands.stream().filter(c -> c.runId().equals(runId)).toList();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
