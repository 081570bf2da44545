package io.trainwatch.trainer.command;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.client.CommandConsumer;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.trainer.run.RunManager;
import io.trainwatch.trainer.config.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Reads {@code tuner.commands} (the client library's {@link CommandConsumer}) and hands each command to the run
 * it names when this instance trains it ({@link RunManager#deliver}). Every instance must see every command, so
 * the consumer assigns itself all partitions (no consumer group) and starts at the end: commands written before
 * it started belong to runs it does not have.
 */
@ApplicationScoped
public class CommandListener {

    private final KafkaClients clients;
    private final RunManager runs;
    private final TrainerSettings settings;
    private volatile CommandConsumer consumer;

    public CommandListener(KafkaClients clients, RunManager runs, TrainerSettings settings) {
        this.clients = clients;
        this.runs = runs;
        this.settings = settings;
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.commandsEnabled()) {
            Log.info("tuner commands disabled (trainwatch.trainer.commands-enabled=false)");
            return;
        }
        consumer = new CommandConsumer(clients.consumer(null, runs.instanceId() + "-commands"), runs::deliver, null,
                "trainer-commands");
    }

    /** True once the consumer is positioned on every partition (tests wait for it before writing commands). */
    public boolean isReady() {
        CommandConsumer c = consumer;
        return c != null && c.isReady();
    }

    void onStop(@Observes ShutdownEvent event) {
        CommandConsumer c = consumer;
        if (c != null) {
            c.close();
        }
    }
}
