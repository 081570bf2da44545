package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.consume.PollLoop;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The notifier's consumer: reads the alerts topic and the tuner's commands topic in its own consumer group (a
 * {@link PollLoop}) and hands each record to the {@link NotifierDispatcher}. An offset is committed only once
 * every message its record produced, on every channel, was delivered or given up for good ({@link
 * UnfinishedOffsets}, through {@link PollLoop.CommitOffsets}): a notifier killed while messages wait in a group
 * or in an outbox leaves their records uncommitted, and the next one reads and sends them (at-least-once).
 * Reading pauses while too many records are unfinished. No Quarkus: {@link ChatNotifierService} runs it in the
 * monitor, tests build it directly.
 */
public final class NotifierLoop implements AutoCloseable {

    private final String alertsTopic;
    private final String commandsTopic;
    private final NotifierDispatcher dispatcher;
    private final NotifyMetrics metrics;
    private final UnfinishedOffsets offsets;
    private final AtomicLong invalid = new AtomicLong();
    private final PollLoop<String, byte[]> loop;

    /**
     * @param consumerConfig the consumer's settings, group included (String keys and byte[] values are set here)
     * @param maxUnfinished  records not yet finished beyond which reading pauses
     */
    public NotifierLoop(Map<String, Object> consumerConfig, String alertsTopic, String commandsTopic,
                        NotifierDispatcher dispatcher, NotifyMetrics metrics, MeterRegistry registry, int maxUnfinished) {
        this.alertsTopic = alertsTopic;
        this.commandsTopic = commandsTopic;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.offsets = new UnfinishedOffsets(maxUnfinished);
        metrics.unfinishedGauge(offsets::unfinished);
        Map<String, Object> props = new HashMap<>(consumerConfig);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.loop = PollLoop.<String, byte[]>builder("trainwatch-notify-consumer", () -> new KafkaConsumer<>(props))
                .setup(c -> {
                    c.subscribe(List.of(alertsTopic, commandsTopic), rebalance(c));
                    return true;
                })
                .beforePoll(c -> {
                    offsets.pauseOrResume(c);
                    return true;
                })
                .handler(this::handle)
                .deadLetter(this::skipped) // one odd record never stops the notifier
                .afterBatch((c, records) -> dispatcher.expireWaiting())
                .commit(PollLoop.Commit.ASYNC, Duration.ofSeconds(2))
                .commitOffsets(c -> offsets.committable(c.assignment()))
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
                .metrics(registry)
                .build();
    }

    public NotifierLoop start() {
        loop.start();
        return this;
    }

    /** Stops reading; the last commit covers finished records only. */
    @Override
    public void close() {
        loop.stop();
    }

    public boolean isReady() {
        return loop.isReady();
    }

    /** The records read and not yet finished, and the offsets safe to commit. */
    public UnfinishedOffsets offsets() {
        return offsets;
    }

    /** Commits what is finished of partitions taken away, so that their next owner does not send it again. */
    private ConsumerRebalanceListener rebalance(Consumer<String, byte[]> c) {
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                var done = offsets.committable(revoked);
                if (!done.isEmpty()) {
                    try {
                        c.commitSync(done, Duration.ofSeconds(2));
                    } catch (RuntimeException e) {
                        Log.debugf("Chat notifier: commit at rebalance: %s", e.toString());
                    }
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                offsets.assigned(assigned);
            }
        };
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        Completion done = offsets.begin(r.topic(), r.partition(), r.offset());
        try {
            dispatch(r, done);
        } finally {
            done.release(); // the channels hold their own references; a record that made no message is finished
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r, Completion done) {
        Instant published = r.timestampType() == TimestampType.NO_TIMESTAMP_TYPE || r.timestamp() < 0
                ? null : Instant.ofEpochMilli(r.timestamp());
        if (commandsTopic.equals(r.topic())) {
            // Only suggestions are for people; commands to apply show on the live page, not in chat.
            ReadResult<TunerCommand> c = r.value() == null ? ReadResult.rejected("null value")
                    : EventCodec.readCommand(r.value());
            if (c.isValid() && c.value().isSuggestion()) {
                dispatcher.suggest(c.value(), published, done);
            }
            return;
        }
        if (!alertsTopic.equals(r.topic())) {
            return;
        }
        ReadResult<Alert> read = r.value() == null ? ReadResult.rejected("null value") : EventCodec.readAlert(r.value());
        if (!read.isValid()) {
            throw new PollLoop.Unreadable(read.error());
        }
        dispatcher.dispatch(read.value(), published, done);
    }

    private void skipped(ConsumerRecord<String, byte[]> r, Exception e) {
        if (!(e instanceof PollLoop.Unreadable)) {
            Log.errorf("Chat notifier: record %s-%d@%d not handled: %s", r.topic(), r.partition(), r.offset(),
                    e.toString());
            return;
        }
        metrics.invalidRecord();
        long n = invalid.incrementAndGet();
        if (n <= 10 || n % 1000 == 0) {
            Log.warnf("Chat notifier: skipped unreadable record %s-%d@%d (%s); %d so far", r.topic(), r.partition(),
                    r.offset(), e.getMessage(), n);
        }
    }
}
