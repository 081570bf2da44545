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
 * Also not ready while its stream threads keep failing ({@link ThreadFailures}): each is replaced, but a partition
 * whose records fail every thread gets no diagnosis.
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
        int failures = streams.failures().count();
        var r = HealthCheckResponse.named("monitor-streams").withData("state", state.name())
                .withData("threadFailures5m", failures);
        if (ready && streams.failures().failing()) {
            return r.down().withData("reason", failures + " stream-thread failures in the last "
                    + ThreadFailures.WINDOW.toMinutes() + " min: see the log (Monitor stream thread failed)").build();
        }
        return r.status(ready).build();
    }
}
