package io.trainwatch.trainer.command;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.client.CommandConsumer;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.consume.PollLoop;
import io.trainwatch.trainer.config.TrainerSettings;
import io.trainwatch.trainer.run.RunManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.Map;

/**
 * Reads {@code tuner.commands} with the services' {@link PollLoop} and hands each command to the run it names when
 * this instance trains it ({@link RunManager#deliver}). Every instance must see every command, so the consumer
 * assigns itself all partitions (no consumer group, positioned as the client library's
 * {@link CommandConsumer#assignAll} does) and starts at the end: commands written before it started belong to runs
 * it does not have. An unreadable command, or one whose delivery fails, is logged and skipped.
 */
@ApplicationScoped
public class CommandListener {

    private final KafkaClients clients;
    private final RunManager runs;
    private final TrainerSettings settings;
    private final MeterRegistry registry;
    private volatile PollLoop<String, byte[]> loop;

    public CommandListener(KafkaClients clients, RunManager runs, TrainerSettings settings, MeterRegistry registry) {
        this.clients = clients;
        this.runs = runs;
        this.settings = settings;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.commandsEnabled()) {
            Log.info("tuner commands disabled (trainwatch.trainer.commands-enabled=false)");
            return;
        }
        Map<String, Object> config = CommandConsumer.consumerConfig(clients.consumer(null, runs.instanceId() + "-commands"));
        loop = PollLoop.<String, byte[]>builder("trainer-commands", () -> new KafkaConsumer<>(config))
                .setup(c -> CommandConsumer.assignAll(c, null))
                .handler(r -> {
                    ReadResult<TunerCommand> read = EventCodec.readCommand(r.value());
                    if (!read.isValid()) {
                        throw new PollLoop.Unreadable(read.error());
                    }
                    runs.deliver(read.value());
                })
                .commit(PollLoop.Commit.NONE, Duration.ZERO)
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
                .metrics(registry)
                .build().start();
    }

    /** True once the consumer is positioned on every partition (tests wait for it before writing commands). */
    public boolean isReady() {
        PollLoop<String, byte[]> l = loop;
        return l != null && l.isReady();
    }

    void onStop(@Observes ShutdownEvent event) {
        PollLoop<String, byte[]> l = loop;
        if (l != null) {
            l.stop();
        }
    }
}
