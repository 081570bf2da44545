package io.trainwatch.monitor.stream;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the monitor's Kafka Streams topology has reached RUNNING (it owns partitions and its stores are
 * restored), and for as long as it stays RUNNING or rebalances after that; not ready while it starts, after an
 * error, or once it is shut down. {@code ./trainwatch up} waits for this, so a run started right after it is seen.
 */
@Readiness
@ApplicationScoped
public class StreamsReadiness implements HealthCheck {

    private final MonitorStreams streams;

    public StreamsReadiness(MonitorStreams streams) {
        this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = streams.state();
        if (state == null) {
            return HealthCheckResponse.named("monitor-streams").up().withData("state", "disabled").build();
        }
        boolean ready = state == KafkaStreams.State.RUNNING
                || (state == KafkaStreams.State.REBALANCING && streams.everRunning());
        return HealthCheckResponse.named("monitor-streams").status(ready).withData("state", state.name()).build();
    }
}
