package io.trainwatch.client;

import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Connects a training program to Trainwatch: one bounded event queue with one publisher thread (an idempotent
 * producer to {@code training.events}) and, once a run is opened, one consumer of {@code tuner.commands} that
 * routes each command to the runs opened here. Nothing it does blocks the caller: while the broker is away, events
 * go to a bounded spill file (256 MiB by default, see {@link Builder#spill}) and are sent in order once it is back;
 * what exceeds that costs dropped step events (counted, reported in {@code run-finished.droppedEvents}), never a
 * slow step. One client serves any
 * number of runs; close it when the program ends.
 *
 * <pre>{@code
 * try (TrainwatchClient client = TrainwatchClient.builder().build();   // KAFKA_* / -Dkafka.* settings
 *      Run run = client.run("my-run").open()) {
 *     run.started(config, RunControl.of(RunControl.AUTO));
 *     for (long step = 0; ...; step++) {
 *         run.applyPending(step, command -> ...);                        // set-learning-rate, stop
 *         if (run.stopRequested()) break;
 *         ... train one step ...
 *         run.step(step, epoch, loss, accuracy, learningRate);
 *     }
 * }                                                                     // run-finished, then flush
 * }</pre>
 */
public final class TrainwatchClient implements AutoCloseable {

    private final KafkaSettings settings;
    private final String clientId;
    private final Clock clock;
    private final boolean commandsEnabled;
    private final SuggestionListener suggestions;
    private final EventBuffer buffer;
    private final KafkaEventPublisher publisher;
    private final Instant createdAt;
    private final Map<String, List<CommandInbox>> inboxes = new ConcurrentHashMap<>();
    private volatile CommandConsumer commands;
    private volatile boolean closed;

    private TrainwatchClient(Builder b) {
        this.settings = b.settings == null ? KafkaSettings.fromEnvironment() : b.settings;
        this.clientId = b.clientId == null ? "trainwatch-" + UUID.randomUUID().toString().substring(0, 8) : b.clientId;
        this.clock = b.clock;
        this.commandsEnabled = b.commands;
        this.suggestions = b.suggestions;
        this.createdAt = clock.instant();
        this.buffer = new EventBuffer(b.queueCapacity, b.queueReserve);
        SpillFile spill = SpillFile.openOrNull(b.spillDirectory, SpillFile.directoryName(
                b.clientId == null ? "client" : b.clientId, settings.bootstrapServers()), b.spillMaxBytes);
        this.publisher = new KafkaEventPublisher(settings.producer(clientId + "-events"), Topics.TRAINING_EVENTS,
                buffer, b.maxBlock, b.metrics, spill);
    }

    /** A builder with the defaults: settings from {@code KAFKA_*} / {@code -Dkafka.*}, queue 10,000 + 2,000. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts describing a run of this program; {@link RunBuilder#open()} registers it for commands. */
    public RunBuilder run(String runId) {
        return new RunBuilder(this, runId);
    }

    /** Where events go: never blocks. */
    public TelemetrySink sink() {
        return publisher;
    }

    public EventBuffer buffer() {
        return buffer;
    }

    /** The publisher (its spill state, {@link KafkaEventPublisher#spilling()}). */
    public KafkaEventPublisher publisher() {
        return publisher;
    }

    public KafkaSettings settings() {
        return settings;
    }

    Clock clock() {
        return clock;
    }

    /** True once the command consumer is positioned on every partition (false before a run was opened). */
    public boolean commandsReady() {
        CommandConsumer c = commands;
        return c != null && c.isReady();
    }

    /** Waits until everything queued so far has been handed to the producer and flushed, at most {@code timeout}. */
    public void flush(Duration timeout) {
        publisher.flush(timeout);
    }

    Run open(RunBuilder b) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        CommandInbox inbox = new CommandInbox(b.runId, clock.instant(), b.rememberedCommands,
                b.suggestions != null ? b.suggestions : suggestions);
        Run run = new Run(this, b.runId, b.studyId, b.trialId, inbox);
        if (commandsEnabled) {
            inboxes.computeIfAbsent(b.runId, k -> new CopyOnWriteArrayList<>()).add(inbox);
            startCommands();
        }
        return run;
    }

    void unregister(CommandInbox inbox) {
        inbox.close();
        inboxes.computeIfPresent(inbox.runId(), (k, list) -> {
            list.remove(inbox);
            return list.isEmpty() ? null : list;
        });
    }

    /** Hands a command to every open run of its id here; false when none took it. */
    boolean deliver(TunerCommand command) {
        List<CommandInbox> targets = inboxes.get(command.runId());
        boolean taken = false;
        if (targets != null) {
            for (CommandInbox inbox : targets) {
                taken |= inbox.offer(command);
            }
        }
        return taken;
    }

    private synchronized void startCommands() {
        if (commands == null && !closed) {
            // From a little before this client existed: a command sent while the consumer was still connecting is
            // read, not skipped; older ones are refused as stale by the runs' inboxes.
            commands = new CommandConsumer(settings.consumer(null, clientId + "-commands"), this::deliver,
                    createdAt.minus(CommandInbox.STALE_TOLERANCE), clientId + "-commands");
        }
    }

    /** Stops the command consumer, then sends what is queued (up to 5 s) and closes the producer. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    public synchronized void close(Duration timeout) {
        if (closed) {
            return;
        }
        closed = true;
        CommandConsumer c = commands;
        if (c != null) {
            c.close();
        }
        publisher.close(timeout);
    }

    /** Settings of a {@link TrainwatchClient}. */
    public static final class Builder {
        private KafkaSettings settings;
        private String clientId;
        private int queueCapacity = 10_000;
        private int queueReserve = 2_000;
        private Duration maxBlock = Duration.ofSeconds(1);
        private java.nio.file.Path spillDirectory = SpillFile.defaultParent();
        private long spillMaxBytes = SpillFile.DEFAULT_MAX_BYTES;
        private PublisherMetrics metrics = PublisherMetrics.NONE;
        private boolean commands = true;
        private SuggestionListener suggestions = SuggestionListener.LOG;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The Kafka settings (default: {@link KafkaSettings#fromEnvironment()}). */
        public Builder settings(KafkaSettings settings) {
            this.settings = settings;
            return this;
        }

        /** The broker address, over the settings given or read from the environment. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.settings = (settings == null ? KafkaSettings.fromEnvironment() : settings)
                    .withBootstrapServers(bootstrapServers);
            return this;
        }

        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        /** Events held before the oldest steps are dropped, and the extra room kept for non-step events. */
        public Builder queue(int capacity, int reserve) {
            this.queueCapacity = capacity;
            this.queueReserve = reserve;
            return this;
        }

        /** The longest one send may wait for the broker's metadata (on the publisher thread, never the caller's). */
        public Builder maxBlock(Duration maxBlock) {
            this.maxBlock = maxBlock;
            return this;
        }

        /**
         * Where events go while the broker is away, and how many bytes they may take there (default: the folder
         * {@code trainwatch-spill} of the system's temporary folder, 256 MiB; 0: no spill, events beyond the queue
         * are dropped). The spill of this client is {@code directory/<clientId or "client">-<hash of the broker
         * address>}; what a client that died left there is sent by the next one of that name and broker.
         */
        public Builder spill(java.nio.file.Path directory, long maxBytes) {
            this.spillDirectory = directory == null ? SpillFile.defaultParent() : directory;
            this.spillMaxBytes = maxBytes;
            return this;
        }

        public Builder metrics(PublisherMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /** Whether to read {@code tuner.commands} at all (default true). */
        public Builder commands(boolean enabled) {
            this.commands = enabled;
            return this;
        }

        /** Where suggestions of every run go by default ({@link SuggestionListener#LOG}). */
        public Builder suggestions(SuggestionListener suggestions) {
            this.suggestions = suggestions;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public TrainwatchClient build() {
            return new TrainwatchClient(this);
        }
    }

    /** What a {@link Run} is before it opens: its ids and where its suggestions go. */
    public static final class RunBuilder {
        private final TrainwatchClient client;
        private final String runId;
        private String studyId;
        private String trialId;
        private SuggestionListener suggestions;
        private int rememberedCommands = CommandInbox.DEFAULT_REMEMBERED;

        private RunBuilder(TrainwatchClient client, String runId) {
            if (runId == null || runId.isBlank()) {
                throw new IllegalArgumentException("a run needs a runId");
            }
            this.client = client;
            this.runId = runId;
        }

        public RunBuilder studyId(String studyId) {
            this.studyId = studyId;
            return this;
        }

        public RunBuilder trialId(String trialId) {
            this.trialId = trialId;
            return this;
        }

        /** Where this run's suggestions go (default: the client's). */
        public RunBuilder suggestions(SuggestionListener suggestions) {
            this.suggestions = suggestions;
            return this;
        }

        public RunBuilder rememberedCommands(int n) {
            this.rememberedCommands = n;
            return this;
        }

        /** Registers the run for its commands; nothing is published until {@link Run#started}. */
        public Run open() {
            return client.open(this);
        }
    }
}
