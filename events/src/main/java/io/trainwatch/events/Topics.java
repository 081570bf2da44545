package io.trainwatch.events;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The one place that names every Trainwatch topic, with its partitions and cleanup policy. */
public final class Topics {

    /** Everything a trainer says about a run: run-started, step, validation, command-applied, run-finished. */
    public static final String TRAINING_EVENTS = "training.events";
    /** Alerts raised and resolved by the monitor. */
    public static final String TRAINING_ALERTS = "training.alerts";
    /** Commands from the tuner (or a person) to a running trainer. */
    public static final String TUNER_COMMANDS = "tuner.commands";
    /** Trials of a study, taken by trainer workers in consumer group {@link #TRAINER_WORKERS_GROUP}. */
    public static final String TUNER_TRIALS = "tuner.trials";
    /** Events that could not be read, with the original bytes and the reason. */
    public static final String TRAINING_EVENTS_DLQ = "training.events.dlq";
    /** The tuner's study documents (key = studyId), compacted: the latest state of every study. */
    public static final String TUNER_STUDIES = "tuner.studies";
    /**
     * The tuner's election: no records, only a consumer group on its one partition; the tuner instance assigned
     * that partition is the active one (the others stand by).
     */
    public static final String TUNER_LEADER = "tuner.leader";

    /** Consumer group of the trainers that run trials. */
    public static final String TRAINER_WORKERS_GROUP = "trainer-workers";
    /** Kafka Streams application id (and so consumer group) of the monitor's detectors. */
    public static final String MONITOR_APPLICATION_ID = "trainwatch-monitor";
    /** Consumer group of the monitor's chat notifier. */
    public static final String NOTIFIER_GROUP = "monitor-notifier";
    /** Consumer group of the tuner. */
    public static final String TUNER_GROUP = "tuner";

    /** Seven days: long enough to replay a week-long run from the start. */
    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;
    /** One day: the election topic holds nothing. */
    private static final long DAY_MS = 24L * 3600 * 1000;
    /** Thirty days for what people look back at: alerts and the dead letters. */
    private static final long MONTH_MS = 30L * 24 * 3600 * 1000;

    /**
     * How a topic is created: its name, partitions, cleanup policy, retention ({@code -1} = forever) and any
     * other topic-level settings.
     */
    public record TopicSpec(String name, int partitions, String cleanupPolicy, long retentionMs, String purpose,
                            Map<String, String> otherConfigs) {

        public TopicSpec {
            otherConfigs = Map.copyOf(otherConfigs);
        }

        TopicSpec(String name, int partitions, String cleanupPolicy, long retentionMs, String purpose) {
            this(name, partitions, cleanupPolicy, retentionMs, purpose, Map.of());
        }

        /** The same topic under another name (a tuner whose studies topic is configured, a test's own topic). */
        public TopicSpec named(String otherName) {
            return new TopicSpec(otherName, partitions, cleanupPolicy, retentionMs, purpose, otherConfigs);
        }

        /** Topic-level configs for {@code Admin.createTopics}. */
        public Map<String, String> configs() {
            Map<String, String> configs = new java.util.TreeMap<>(otherConfigs);
            configs.put("cleanup.policy", cleanupPolicy);
            configs.put("retention.ms", Long.toString(retentionMs));
            return Map.copyOf(configs);
        }
    }

    /**
     * Every topic of the contract. {@code training.events} has several partitions so that the monitor
     * can spread runs (key = runId) over instances; the others carry far less traffic. Only
     * {@code tuner.studies} holds state, so only it is compacted.
     */
    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(TRAINING_EVENTS, 6, "delete", WEEK_MS, "per-step telemetry of every run"),
            new TopicSpec(TRAINING_ALERTS, 3, "delete", MONTH_MS, "alerts, firing and resolved"),
            new TopicSpec(TUNER_COMMANDS, 3, "delete", WEEK_MS, "commands to running trainers"),
            new TopicSpec(TUNER_TRIALS, 3, "delete", WEEK_MS, "trials for trainer workers"),
            new TopicSpec(TRAINING_EVENTS_DLQ, 1, "delete", MONTH_MS, "rejected events with their reason"),
            // One partition: one tuner instance is active at a time and studies are few. Compacted and kept forever,
            // so that a restarted tuner reads every study's latest document; a document may reach a few
            // hundred KB (200 trials with their decisions), hence the larger message size.
            new TopicSpec(TUNER_STUDIES, 1, "compact", -1, "the tuner's study documents",
                    Map.of("max.message.bytes", Integer.toString(8 * 1024 * 1024),
                            "min.cleanable.dirty.ratio", "0.1",
                            "segment.ms", Long.toString(6L * 3600 * 1000))),
            // One partition, never written: tuner instances join a consumer group on it, and the one assigned the
            // partition is the active tuner (leader election by group membership, as Kafka Connect's workers do).
            new TopicSpec(TUNER_LEADER, 1, "delete", DAY_MS, "the tuner's election (no records)"));

    private Topics() {
    }

    /**
     * Creates every topic of {@link #ALL} that does not exist yet, with the broker's default replication
     * factor, and returns the names it created. Topics that exist are left as they are.
     */
    public static List<String> createMissing(Admin admin, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        return createMissing(admin, ALL, timeout);
    }

    /**
     * Creates every topic of {@code specs} that does not exist yet, with the broker's default replication factor,
     * and returns the names it created. Topics that exist are left as they are.
     */
    public static List<String> createMissing(Admin admin, java.util.Collection<TopicSpec> specs, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<NewTopic> missing = specs.stream()
                .filter(t -> !existing.contains(t.name()))
                .map(t -> new NewTopic(t.name(), Optional.of(t.partitions()), Optional.empty()).configs(t.configs()))
                .toList();
        List<String> created = new java.util.ArrayList<>();
        if (missing.isEmpty()) {
            return created;
        }
        Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.createTopics(missing).values();
        for (NewTopic t : missing) {
            try {
                results.get(t.name()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                created.add(t.name());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw e; // another instance (or a listing not yet up to date) may have it already: that is fine
                }
            }
        }
        return created;
    }

    /** The spec of a contract topic, by name. */
    public static Optional<TopicSpec> spec(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
