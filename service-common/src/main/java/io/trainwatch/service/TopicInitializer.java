package io.trainwatch.service;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.List;

/**
 * Creates the contract's topics that are missing when a service starts (on by default; turn off with
 * {@code trainwatch.kafka.create-topics=false} where topics are managed elsewhere). It runs off the
 * startup thread and only logs when the broker is unreachable: a service never fails to start for it.
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

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        Thread thread = new Thread(this::createMissing, "trainwatch-topics");
        thread.setDaemon(true);
        thread.start();
    }

    private void createMissing() {
        try (Admin admin = Admin.create(kafka.admin("trainwatch-topic-initializer"))) {
            List<String> created = Topics.createMissing(admin, Duration.ofSeconds(30));
            if (!created.isEmpty()) {
                Log.infof("Created topics %s on %s", created, kafka.bootstrapServers());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Log.warnf("Could not check or create the topics on %s: %s (the service goes on; create them by hand "
                    + "or start the broker)", kafka.bootstrapServers(), e.toString());
        }
    }
}
