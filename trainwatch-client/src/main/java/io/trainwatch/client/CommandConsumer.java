package io.trainwatch.client;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reads {@code tuner.commands} on a thread of its own and hands every readable command to a
 * {@link CommandRouter}. Every trainer must see every command, so it assigns itself all partitions (no consumer
 * group) and starts either at the end (a service: commands written before it started belong to runs it does not
 * have) or at a point in time (a program: the commands written since its runs could exist, so that none sent
 * between the run's start and the consumer's positioning is missed; stale ones are refused by each
 * {@link CommandInbox}). While the broker is unreachable it retries every 2 s.
 */
public final class CommandConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CommandConsumer.class.getName());

    private final Map<String, Object> config;
    private final CommandRouter router;
    private final Instant startAt;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile KafkaConsumer<String, byte[]> consumer;

    /**
     * Starts reading at once.
     *
     * @param consumerConfig settings of a consumer ({@link KafkaSettings#consumer}); any group id is removed
     * @param startAt        where to start: null = the end of each partition, else the first offset written at or
     *                       after this time
     */
    public CommandConsumer(Map<String, Object> consumerConfig, CommandRouter router, Instant startAt,
                           String threadName) {
        this.config = consumerConfig(consumerConfig);
        this.router = router;
        this.startAt = startAt;
        this.thread = new Thread(this::loop, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** True once the consumer is positioned on every partition (tests wait for it before writing commands). */
    public boolean isReady() {
        return ready;
    }

    /** The settings of a commands consumer: no group, no commits, new partitions from their end. */
    public static Map<String, Object> consumerConfig(Map<String, Object> consumerConfig) {
        Map<String, Object> c = new HashMap<>(consumerConfig);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return c;
    }

    private void loop() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config)) {
            consumer = c;
            while (running && !assignAll(c, startAt)) {
                if (stopped.await(2, TimeUnit.SECONDS)) {
                    return;
                }
            }
            ready = true;
            while (running) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                    handle(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                LOG.log(Level.SEVERE, "the tuner command consumer stopped", e);
            }
        }
    }

    /**
     * Assigns every partition of {@code tuner.commands} to {@code c}, positioned at the end of each, or at the first
     * offset written at or after {@code startAt} when given; false while the topic or the broker is not there.
     */
    public static boolean assignAll(Consumer<?, ?> c, Instant startAt) {
        try {
            List<PartitionInfo> partitions = c.partitionsFor(Topics.TUNER_COMMANDS, Duration.ofSeconds(5));
            if (partitions == null || partitions.isEmpty()) {
                LOG.warning("topic " + Topics.TUNER_COMMANDS + " not found yet; retrying");
                return false;
            }
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(tps);
            c.seekToEnd(tps);
            if (startAt != null) {
                Map<TopicPartition, Long> times = new HashMap<>();
                tps.forEach(tp -> times.put(tp, startAt.toEpochMilli()));
                Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(times, Duration.ofSeconds(10));
                found.forEach((tp, o) -> {
                    if (o != null) {
                        c.seek(tp, o.offset());
                    }
                });
            }
            for (TopicPartition tp : tps) {
                c.position(tp, Duration.ofSeconds(10)); // resolve now, so that later commands are not skipped
            }
            return true;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warning("broker not reachable for " + Topics.TUNER_COMMANDS + "; retrying");
            return false;
        }
    }

    /** Reads one record and routes the command; an unreadable record is logged and skipped. */
    void handle(ConsumerRecord<String, byte[]> record) {
        ReadResult<TunerCommand> read = EventCodec.readCommand(record.value());
        if (!read.isValid()) {
            LOG.warning("unreadable command at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " ignored: " + read.error());
            return;
        }
        try {
            router.deliver(read.value());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "routing command " + read.value().commandId() + " failed", e);
        }
    }

    /** Stops reading (waits up to 5 s for the thread). */
    @Override
    public void close() {
        running = false;
        stopped.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
