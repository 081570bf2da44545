package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.consume.PollLoop;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.record.TimestampType;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends alerts from {@code training.alerts} to the configured chat channels, and the tuner's suggestions from
 * {@code tuner.commands} ({@code mode: suggest}) to the channels that got the alert they answer. It reads both
 * topics with its own consumer group ({@code monitor-notifier}) in a {@link PollLoop} of its own, apart from detection, and hands each alert to
 * the matching channels' bounded queues without waiting: a dead or slow chat server never delays detection.
 * With no channel configured it stays idle and says so once at startup.
 */
@ApplicationScoped
public class ChatNotifierService {

    private final NotifyConfig config;
    private final KafkaClients kafka;
    private final NotifyMetrics metrics;
    private final MeterRegistry registry;
    private final AtomicLong invalid = new AtomicLong();
    private NotifierDispatcher dispatcher;
    private PollLoop<String, byte[]> loop;

    public ChatNotifierService(NotifyConfig config, KafkaClients kafka, MeterRegistry registry) {
        this.config = config;
        this.kafka = kafka;
        this.metrics = new NotifyMetrics(registry);
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            Log.info("Chat notifications are off (trainwatch.notify.enabled=false)");
            return;
        }
        ChannelFactory.Result built = ChannelFactory.build(config, System::getenv);
        built.errors().forEach(e -> Log.errorf("Chat notifications: %s; this channel is left out", e));
        if (built.channels().isEmpty()) {
            Log.infof("Chat notifications are idle: no %schannel under trainwatch.notify.channels (see monitor-service/NOTIFY.md)",
                    built.errors().isEmpty() ? "" : "valid ");
            return;
        }
        Log.infof("Chat notifications to %d channel(s), consumer group %s: %s", built.channels().size(),
                config.consumerGroup(), built.channels());
        dispatcher = NotifierDispatcher.start(built.channels(), config, Clock.systemUTC(), metrics);
        loop = newLoop().start();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.stop();
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
    }

    private PollLoop<String, byte[]> newLoop() {
        Map<String, Object> props = kafka.consumer(config.consumerGroup(), "monitor-notifier");
        return PollLoop.<String, byte[]>builder("trainwatch-notify-consumer", () -> new KafkaConsumer<>(props))
                .setup(c -> {
                    c.subscribe(List.of(Topics.TRAINING_ALERTS, Topics.TUNER_COMMANDS));
                    return true;
                })
                .handler(this::handle)
                .deadLetter(this::skipped) // one odd record never stops the notifier
                .commit(PollLoop.Commit.ASYNC, Duration.ofSeconds(2))
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
                .metrics(registry)
                .build();
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

    private void handle(ConsumerRecord<String, byte[]> r) {
        Instant published = r.timestampType() == TimestampType.NO_TIMESTAMP_TYPE || r.timestamp() < 0
                ? null : Instant.ofEpochMilli(r.timestamp());
        if (Topics.TUNER_COMMANDS.equals(r.topic())) {
            // Only suggestions are for people; commands to apply show on the live page, not in chat.
            ReadResult<TunerCommand> c = r.value() == null ? ReadResult.rejected("null value")
                    : EventCodec.readCommand(r.value());
            if (c.isValid() && c.value().isSuggestion()) {
                dispatcher.suggest(c.value(), published);
            }
            return;
        }
        ReadResult<Alert> read = r.value() == null ? ReadResult.rejected("null value") : EventCodec.readAlert(r.value());
        if (!read.isValid()) {
            throw new PollLoop.Unreadable(read.error());
        }
        dispatcher.dispatch(read.value(), published);
    }
}
