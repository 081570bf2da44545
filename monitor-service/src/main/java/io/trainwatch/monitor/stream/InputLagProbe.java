package io.trainwatch.monitor.stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.service.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Samples, on a thread of its own, how far the monitor's committed offsets on {@code training.events} are behind
 * the partitions' ends (an admin query of the partitions this instance's stream threads own), and feeds
 * {@link InputStall}; readiness reads its verdict without waiting ({@link StreamsReadiness}). Exposes the gauge
 * {@code monitor.input.stalled.partitions}. Off when the topology is, or when
 * {@code trainwatch.monitor.streams.stall-after} is 0.
 */
@ApplicationScoped
public class InputLagProbe {

    /** The longest wait between two samples. */
    static final Duration MAX_INTERVAL = Duration.ofSeconds(10);
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

    private final MonitorConfig config;
    private final MonitorStreams streams;
    private final KafkaClients kafka;
    private final MeterRegistry registry;
    private final Clock clock = Clock.systemUTC();
    private final InputStall stall;
    private volatile String lastError;
    private ScheduledExecutorService executor;
    private Admin admin;

    public InputLagProbe(MonitorConfig config, MonitorStreams streams, KafkaClients kafka, MeterRegistry registry) {
        this.config = config;
        this.streams = streams;
        this.kafka = kafka;
        this.registry = registry;
        this.stall = new InputStall(config.streams().stallAfter());
    }

    /** How often to sample: a quarter of the stall limit, between 1 s and {@link #MAX_INTERVAL}. */
    static Duration interval(Duration stallAfter) {
        Duration quarter = stallAfter.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(MAX_INTERVAL) > 0 ? MAX_INTERVAL : quarter;
    }

    void start(@Observes StartupEvent event) {
        Duration after = config.streams().stallAfter();
        if (!config.streams().enabled() || after.isZero() || after.isNegative()) {
            return;
        }
        Gauge.builder("monitor.input.stalled.partitions", () -> stall.verdict(clock.instant()).stalled().size())
                .description("Partitions of training.events this monitor owns whose records have waited without "
                        + "progress for trainwatch.monitor.streams.stall-after (readiness is down meanwhile)")
                .strongReference(true).register(registry);
        admin = Admin.create(kafka.admin("monitor-input-lag"));
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trainwatch-input-lag");
            t.setDaemon(true);
            return t;
        });
        long every = interval(after).toMillis();
        executor.scheduleWithFixedDelay(this::sample, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    /** One sample: the owned partitions' ends (read committed) against the group's committed offsets. */
    void sample() {
        try {
            Set<TopicPartition> owned = streams.localPartitions(Topics.TRAINING_EVENTS);
            if (owned.isEmpty()) {
                stall.observe(Map.of(), Map.of(), clock.instant());
                lastError = null;
                return;
            }
            Map<TopicPartition, Long> end = admin.listOffsets(
                            owned.stream().collect(Collectors.toMap(Function.identity(), tp -> OffsetSpec.latest())),
                            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all().get(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            Map<TopicPartition, OffsetAndMetadata> group = admin.listConsumerGroupOffsets(config.streams().applicationId())
                    .partitionsToOffsetAndMetadata().get(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> committed = new HashMap<>();
            group.forEach((tp, o) -> {
                if (o != null) {
                    committed.put(tp, o.offset());
                }
            });
            stall.observe(end, committed, clock.instant());
            lastError = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (lastError == null) {
                Log.debugf("Monitor input lag: cannot sample: %s", e.toString());
            }
            lastError = e.toString(); // the last verdict stands; the broker check reports an unreachable broker
        }
    }

    /** The verdict now, from the last samples (never waits). */
    public InputStall.Verdict verdict() {
        return stall.verdict(clock.instant());
    }

    public Duration stallAfter() {
        return stall.stallAfter();
    }
}
