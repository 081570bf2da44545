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
 * whose records fail every thread gets no diagnosis. And not ready while records wait on a {@code training.events}
 * partition it owns with no progress for {@code trainwatch.monitor.streams.stall-after} ({@link InputLagProbe}: a
 * stuck stream thread, a store that does not restore): the answer comes from the probe's last sample, never from a
 * query made in the readiness call.
 */
@Readiness
@ApplicationScoped
public class StreamsReadiness implements HealthCheck {

    private final MonitorStreams streams;
    private final InputLagProbe input;

    public StreamsReadiness(MonitorStreams streams, InputLagProbe input) {
        this.streams = streams;
        this.input = input;
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
        InputStall.Verdict stalled = input.verdict();
        if (ready && stalled.isStalled()) {
            return r.down().withData("reason", reason(stalled, input.stallAfter())).build();
        }
        return r.status(ready).build();
    }

    /** Why the input counts as stalled, for {@code /q/health/ready}. */
    static String reason(InputStall.Verdict v, java.time.Duration stallAfter) {
        return v.waiting() + " record(s) wait on " + io.trainwatch.events.Topics.TRAINING_EVENTS + " partition(s) "
                + v.stalled().stream().map(tp -> Integer.toString(tp.partition())).toList() + " with no progress for "
                + v.since().toSeconds() + " s (trainwatch.monitor.streams.stall-after " + stallAfter.toSeconds()
                + " s): see the log for a stuck or failing stream thread";
    }
}
