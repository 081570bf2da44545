package io.trainwatch.monitor.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.monitor.api.MonitorView;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.service.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * Runs the monitor's Kafka Streams application with the service: builds the {@link Topology}, starts it
 * at startup (unless {@code trainwatch.monitor.streams.enabled=false}) and closes it at shutdown. Kafka
 * settings ({@code kafka.*}: bootstrap servers, TLS, SASL) pass through from {@link KafkaClients}.
 */
@ApplicationScoped
public class MonitorStreams {

    private final MonitorConfig config;
    private final KafkaClients kafka;
    private final MonitorView view;
    private final MeterRegistry registry;
    private KafkaStreamsMetrics streamsMetrics;
    private KafkaStreams streams;

    private volatile boolean everRunning;
    /** When stream threads failed lately (each is replaced; a thread that keeps failing makes the monitor not ready). */
    private final ThreadFailures failures = new ThreadFailures(java.time.Clock.systemUTC());

    public MonitorStreams(MonitorConfig config, KafkaClients kafka, MonitorView view, MeterRegistry registry) {
        this.config = config;
        this.kafka = kafka;
        this.view = view;
        this.registry = registry;
    }

    @Produces
    @Singleton
    RunMonitor runMonitor() {
        return new RunMonitor(config);
    }

    @Produces
    @Singleton
    Topology topology(RunMonitor monitor) {
        return MonitorTopology.build(monitor, view, config.runs().idleTtl(), config.streams().evictionInterval());
    }

    /** The Kafka Streams settings: exactly-once, in-memory stores under the state dir, String-free byte topics. */
    public static Properties properties(Map<String, Object> common, MonitorConfig.Streams s) {
        Properties p = new Properties();
        common.forEach((k, v) -> {
            if (v != null) {
                p.put(k, v);
            }
        });
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.STATE_DIR_CONFIG, s.stateDir());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, s.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, s.commitInterval().toMillis());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, s.threads());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
        // Each commit writes the state of every run changed since the last one (~700 B each: 1,000 active runs are
        // ~120 KB per changelog partition every 100 ms). In 512 KiB batches rather than the default 16 KiB that is
        // one produce request per commit instead of dozens: the broker's CPU fell from 1.1-2.2 s to 0.7-1.0 s per
        // 300,000 monitored events (MonitorBenchmark, broker in its own JVM). Nothing waits for a batch to fill:
        // Streams flushes its producer at each commit.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
        // An open batch holds batch.size of the producer's buffer: 128 MiB (allocated only as used) leaves room for
        // 256 partitions with a batch open each (the default 32 MiB would block sends from ~60 on).
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 128L * 1024 * 1024);
        // Leave the group on a clean close. Kafka Streams does not by default (CloseOptions.leaveGroup acts only for
        // static members), so a monitor restarted within the session timeout (45 s) waited for its old self to
        // expire before it got any partition: measured 38-44 s of REBALANCING after `./trainwatch down` and `up`.
        p.put(StreamsConfig.consumerPrefix("internal.leave.group.on.close"), true);
        return p;
    }

    void start(@Observes StartupEvent event, Topology topology) {
        if (!config.streams().enabled()) {
            Log.info("Kafka Streams monitor disabled (trainwatch.monitor.streams.enabled=false)");
            return;
        }
        Properties props = properties(kafka.common(), config.streams());
        streams = new KafkaStreams(topology, props);
        io.micrometer.core.instrument.Counter failed = io.micrometer.core.instrument.Counter
                .builder("monitor.stream.thread.failures")
                .description("Kafka Streams threads of the monitor that failed and were replaced").register(registry);
        streams.setUncaughtExceptionHandler(e -> {
            failed.increment();
            int recent = failures.failed();
            Log.errorf(e, "Monitor stream thread failed (%d in the last %d min); replacing it", recent,
                    ThreadFailures.WINDOW.toMinutes());
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .REPLACE_THREAD;
        });
        // Kafka client metrics of the topology (consumer lag: kafka_consumer_fetch_manager_records_lag_max, ...).
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                everRunning = true;
            }
        });
        streams.start();
        Log.infof("Monitoring %s on %s as %s (%s, state in %s)", io.trainwatch.events.Topics.TRAINING_EVENTS,
                kafka.bootstrapServers(), config.streams().applicationId(), config.streams().processingGuarantee(),
                config.streams().stateDir());
    }

    void stop(@Observes ShutdownEvent event) {
        if (streams != null) {
            streams.close(Duration.ofSeconds(10));
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
    }

    /** Whether the topology has reached RUNNING once: it owns partitions and processes events. */
    public boolean everRunning() {
        return everRunning;
    }

    /** Recent stream-thread failures (readiness goes down while they keep coming). */
    public ThreadFailures failures() {
        return failures;
    }

    /** The partitions of {@code topic} that this instance's stream threads own as active tasks (none when not running). */
    public java.util.Set<org.apache.kafka.common.TopicPartition> localPartitions(String topic) {
        KafkaStreams s = streams;
        java.util.Set<org.apache.kafka.common.TopicPartition> out = new java.util.HashSet<>();
        if (s == null) {
            return out;
        }
        try {
            for (var thread : s.metadataForLocalThreads()) {
                for (var task : thread.activeTasks()) {
                    task.topicPartitions().stream().filter(tp -> tp.topic().equals(topic)).forEach(out::add);
                }
            }
        } catch (RuntimeException e) {
            return java.util.Set.of(); // not running (starting, rebalancing, shut down): nothing to watch now
        }
        return out;
    }

    /** The running Kafka Streams state, or null when disabled. */
    public KafkaStreams.State state() {
        return streams == null ? null : streams.state();
    }
}
