package io.trainwatch.service;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The services' one creator of topics: the contract's topics ({@link Topics#ALL}, which also defines their
 * partitions and configs) that are missing when a service starts, and any further topic a service needs before it
 * reads ({@link #createMissing}). On by default; {@code trainwatch.kafka.create-topics=false} leaves every topic to
 * whoever manages them, and then nothing here touches the broker. At start it runs off the startup thread and only
 * logs when the broker is unreachable: a service never fails to start for it.
 */
@ApplicationScoped
public class TopicInitializer {

    private final KafkaClients kafka;
    private final boolean enabled;

    public TopicInitializer(KafkaClients kafka,
                            @ConfigProperty(name = "trainwatch.kafka.create-topics", defaultValue = "true") boolean enabled) {
        this.kafka = kafka;
        this.enabled = enabled;
    }

    /** Whether this service creates topics ({@code trainwatch.kafka.create-topics}). */
    public boolean enabled() {
        return enabled;
    }

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        Thread thread = new Thread(this::createAtStart, "trainwatch-topics");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Creates, now, the contract's missing topics and the missing ones of {@code extra}; returns the names created
     * (none when creation is turned off). Throws when the broker does not answer within {@code timeout}.
     */
    public List<String> createMissing(Collection<Topics.TopicSpec> extra, Duration timeout) throws Exception {
        if (!enabled) {
            return List.of();
        }
        List<Topics.TopicSpec> specs = new ArrayList<>(Topics.ALL);
        extra.stream().filter(s -> specs.stream().noneMatch(t -> t.name().equals(s.name()))).forEach(specs::add);
        try (Admin admin = Admin.create(kafka.admin("trainwatch-topic-initializer"))) {
            List<String> created = Topics.createMissing(admin, specs, timeout);
            if (!created.isEmpty()) {
                Log.infof("Created topics %s on %s", created, kafka.bootstrapServers());
            }
            return created;
        }
    }

    private void createAtStart() {
        try {
            createMissing(List.of(), Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Log.warnf("Could not check or create the topics on %s: %s (the service goes on; create them by hand "
                    + "or start the broker)", kafka.bootstrapServers(), e.toString());
        }
    }
}
