package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.service.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Clock;

/**
 * Sends alerts from {@code training.alerts} to the configured chat channels, and the tuner's suggestions from
 * {@code tuner.commands} ({@code mode: suggest}) to the channels that got the alert they answer. It reads both
 * topics with its own consumer group ({@code monitor-notifier}) in a {@link NotifierLoop} of its own, apart from
 * detection, and hands each alert to the matching channels' bounded queues without waiting: a dead or slow chat
 * server never delays detection. A record's offset is committed once its messages are delivered or given up, so a
 * restart sends what a crash left undelivered. With no channel configured it stays idle and says so once at startup.
 */
@ApplicationScoped
public class ChatNotifierService {

    private final NotifyConfig config;
    private final KafkaClients kafka;
    private final NotifyMetrics metrics;
    private final MeterRegistry registry;
    private NotifierDispatcher dispatcher;
    private NotifierLoop loop;

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
        loop = new NotifierLoop(kafka.consumer(config.consumerGroup(), "monitor-notifier"), Topics.TRAINING_ALERTS,
                Topics.TUNER_COMMANDS, dispatcher, metrics, registry, config.maxUnfinishedRecords()).start();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close(); // first: its last commit covers what was delivered, not what the channels still hold
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
    }
}
