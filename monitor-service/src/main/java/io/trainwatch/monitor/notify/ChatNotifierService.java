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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.record.TimestampType;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends alerts from {@code training.alerts} to the configured chat channels, and the tuner's suggestions from
 * {@code tuner.commands} ({@code mode: suggest}) to the channels that got the alert they answer. It reads both
 * topics with its own consumer group ({@code monitor-notifier}) on its own thread, apart from detection, and hands each alert to
 * the matching channels' bounded queues without waiting: a dead or slow chat server never delays detection.
 * With no channel configured it stays idle and says so once at startup.
 */
@ApplicationScoped
public class ChatNotifierService {

    private final NotifyConfig config;
    private final KafkaClients kafka;
    private final NotifyMetrics metrics;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicLong invalid = new AtomicLong();
    private volatile boolean running;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private NotifierDispatcher dispatcher;
    private Thread thread;

    public ChatNotifierService(NotifyConfig config, KafkaClients kafka, MeterRegistry registry) {
        this.config = config;
        this.kafka = kafka;
        this.metrics = new NotifyMetrics(registry);
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
        running = true;
        thread = new Thread(this::consume, "trainwatch-notify-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        stop.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
    }

    /** The dispatcher while channels are configured (for tests and diagnostics), else null. */
    public NotifierDispatcher dispatcher() {
        return dispatcher;
    }

    private void consume() {
        Map<String, Object> props = kafka.consumer(config.consumerGroup(), "monitor-notifier");
        while (running) {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
                consumer = c;
                if (!running) {
                    break; // stopped while the consumer was being created
                }
                c.subscribe(List.of(Topics.TRAINING_ALERTS, Topics.TUNER_COMMANDS));
                while (running) {
                    ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
                    for (ConsumerRecord<String, byte[]> r : records) {
                        try {
                            handle(r);
                        } catch (RuntimeException e) { // one odd record never stops the notifier
                            Log.errorf("Chat notifier: record %s-%d@%d not handled: %s", r.topic(), r.partition(),
                                    r.offset(), e.toString());
                        }
                    }
                    if (!records.isEmpty()) {
                        c.commitAsync((offsets, e) -> {
                            if (e != null) {
                                Log.debugf("Chat notifier: offset commit failed: %s", e.toString());
                            }
                        });
                    }
                }
                c.commitSync(Duration.ofSeconds(2));
            } catch (WakeupException e) {
                // shutdown
            } catch (Exception e) {
                if (running) {
                    Log.warnf("Chat notifier: the consumer of %s failed (%s); restarting it in 2 s",
                            Topics.TRAINING_ALERTS, e.toString());
                    try {
                        stop.await(2, TimeUnit.SECONDS);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            } finally {
                consumer = null;
            }
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
            metrics.invalidRecord();
            long n = invalid.incrementAndGet();
            if (n <= 10 || n % 1000 == 0) {
                Log.warnf("Chat notifier: skipped unreadable record %s-%d@%d (%s); %d so far", r.topic(), r.partition(),
                        r.offset(), read.error(), n);
            }
            return;
        }
        dispatcher.dispatch(read.value(), published);
    }
}
