package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.tuner.engine.Effects;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.service.consume.PollLoop;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs a {@link StudyEngine} against Kafka: at start it has the {@link TopicInitializer} create the missing
 * topics (the compacted studies topic under its configured name included; none when topic creation is turned
 * off), opens its transactional producer (which fences any earlier writer of the same consumer group: the
 * transactional id is {@code <consumerGroup>.writer}), reloads every study and steered run from it and publishes the
 * trials the trials topic lacks; then its {@link PollLoop} reads {@code training.alerts} and {@code training.events},
 * feeds the engine and carries out its effects in one transaction per batch (studies, then trials, then commands),
 * committing the input offsets only after. Effects that fail (broker down) stay in an outbox and are retried in
 * order; a failed transaction is aborted, so its trials never reach a {@code read_committed} reader. Fenced (another
 * instance opened the transactional id) it writes nothing more and tells {@link #onFenced}. One runtime is one
 * term of an active tuner ({@link Leadership}); plain Java: the Quarkus service wraps it, and tests start and stop it
 * like a real tuner process.
 */
public final class TunerRuntime implements AutoCloseable, Leadership.Term {

    /**
     * Topics and timings of a runtime; {@code sessionTimeout} is the input consumer group's (short, so that a killed
     * instance's partitions go to the next active one within seconds; ignored under the consumer group protocol).
     */
    public record Settings(String studiesTopic, String consumerGroup, Duration pollTimeout, Duration sendTimeout,
                           Duration retryBackoff, Duration sessionTimeout) {

        /** The default session timeout of the tuner's groups. */
        public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

        public Settings(String studiesTopic, String consumerGroup, Duration pollTimeout, Duration sendTimeout,
                        Duration retryBackoff) {
            this(studiesTopic, consumerGroup, pollTimeout, sendTimeout, retryBackoff, SESSION_TIMEOUT);
        }

        /** The transactional id every instance of this consumer group writes under (one writer at a time). */
        public String transactionalId() {
            return consumerGroup + ".writer";
        }
    }

    private final EffectsWriter writer;
    private final Map<String, Object> consumerConfig;
    private final TopicInitializer topics;
    private final Settings settings;
    private final StudyEngine engine;
    private final TunerListener listener;
    private final Deque<Effects> outbox = new ArrayDeque<>();
    private final PollLoop<String, byte[]> loop;
    private volatile boolean ready;
    private volatile String lastError;
    private volatile Runnable onFenced = () -> { };
    /** The effects of the batch being handled (under the runtime's lock). */
    private Effects batch = new Effects();
    private int rejectedLogged;

    /**
     * @param topics   creates the contract's topics and the configured studies topic before the studies are read,
     *                 unless {@code trainwatch.kafka.create-topics=false}
     * @param registry where the loop's meters go (null: none kept)
     */
    public TunerRuntime(Map<String, Object> producerConfig, Map<String, Object> consumerConfig,
                        TopicInitializer topics, Settings settings, StudyEngine engine, TunerListener listener,
                        MeterRegistry registry) {
        this.writer = new EffectsWriter(producerConfig, settings, () -> onFenced.run());
        this.consumerConfig = new HashMap<>(consumerConfig);
        this.topics = topics;
        this.settings = settings;
        this.engine = engine;
        this.listener = listener;
        Map<String, Object> group = new HashMap<>(consumerConfig);
        group.put(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup());
        if (!"consumer".equalsIgnoreCase(String.valueOf(group.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
            group.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
            group.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) settings.sessionTimeout().toMillis() / 4);
        }
        this.loop = PollLoop.<String, byte[]>builder("tuner-loop", () -> new KafkaConsumer<>(group))
                .setup(this::setUp)
                .handler(this::handle)
                .deadLetter(this::rejected)
                // One write per study per poll: the effects of the whole batch, studies first, then trials, then
                // commands (a preflight persists its trial's every step; one write per record would lag the trainer).
                .afterBatch((c, records) -> {
                    batch.addAll(engine.tick());
                    Effects fx = batch;
                    batch = new Effects();
                    apply(fx);
                })
                .guard(body -> {
                    synchronized (this) {
                        body.run();
                    }
                })
                .commit(PollLoop.Commit.SYNC, settings.sendTimeout())
                .commitWhen(this::outboxEmpty) // the input offsets only once its effects are out
                .onFailure(e -> {
                    if (ready) {
                        lastError = e.toString();
                    }
                })
                .pollTimeout(settings.pollTimeout())
                .backoff(settings.retryBackoff(), settings.retryBackoff())
                .joinTimeout(Duration.ofSeconds(15))
                .metrics(registry)
                .build();
    }

    public TunerRuntime start() {
        loop.start();
        return this;
    }

    /** Whether the studies were reloaded and the loop runs. */
    public boolean isReady() {
        return ready;
    }

    /** Called (once, on the thread that saw it) when another instance fenced this one's writes. */
    public TunerRuntime onFenced(Runnable hook) {
        this.onFenced = hook;
        return this;
    }

    /** Starts a study; its state is persisted and its first trials published before this returns. */
    public synchronized StudyState create(String id, StudySpec spec) {
        requireReady();
        apply(engine.create(id, spec));
        requireReady(); // fenced while writing it: the study is not persisted here
        return engine.study(id).orElseThrow();
    }

    /** Stops a study; unknown ids throw {@link IllegalArgumentException}. */
    public synchronized StudyState stop(String id, String reason) {
        requireReady();
        apply(engine.stop(id, reason));
        requireReady();
        return engine.study(id).orElseThrow();
    }

    /** Reads the engine's state under the runtime's lock (build copies or views inside {@code reader}). */
    public synchronized <T> T read(Function<StudyEngine, T> reader) {
        return reader.apply(engine);
    }

    /** Whether everything decided so far is persisted and published. */
    public synchronized boolean outboxEmpty() {
        return outbox.isEmpty();
    }

    private void requireReady() {
        if (writer.fenced()) {
            throw new NotReadyException("this tuner instance is no longer the active one");
        }
        if (!ready) {
            throw new NotReadyException(lastError == null ? "the tuner is loading its studies" : lastError);
        }
    }

    /** Thrown while the tuner has not reloaded its studies (HTTP 503). */
    public static final class NotReadyException extends RuntimeException {
        public NotReadyException(String message) {
            super(message);
        }
    }

    /** Reloads the studies once (later consumers only subscribe); a failure is retried after the back-off. */
    private boolean setUp(Consumer<String, byte[]> consumer) throws Exception {
        if (!ready) {
            try {
                restore();
            } catch (Exception e) {
                lastError = "cannot reach Kafka to reload the studies: " + e;
                writer.close(Duration.ofSeconds(5));
                throw e;
            }
        }
        consumer.subscribe(List.of(Topics.TRAINING_ALERTS, Topics.TRAINING_EVENTS));
        return true;
    }

    private void restore() throws Exception {
        Duration timeout = settings.sendTimeout();
        topics.createMissing(List.of(StudiesTopic.SPEC.named(settings.studiesTopic())), timeout);
        // First the producer: its init fences the previous writer and ends its open transaction, so that the
        // read_committed reads below see everything it committed and are not held at an open one.
        writer.open();
        StudiesTopic.Loaded loaded = StudiesTopic.load(consumerConfig, settings.studiesTopic(), timeout);
        Collection<StudyState> studies = loaded.studies();
        Set<String> running = new HashSet<>();
        studies.stream().filter(StudyState::isRunning).forEach(s -> running.add(s.id));
        Set<String> published = StudiesTopic.publishedTrials(consumerConfig, Topics.TUNER_TRIALS, running, timeout);
        synchronized (this) {
            Effects fx = engine.restore(studies, published);
            fx.addAll(engine.runs().restore(loaded.runs()));
            Log.infof("Tuner reloaded %d studies (%d running) and %d steered runs from %s; %d trials to publish again",
                    studies.size(), running.size(), engine.runs().runs().size(), settings.studiesTopic(),
                    fx.trials().size());
            apply(fx);
            ready = true;
            lastError = null;
        }
    }

    /** Feeds one record to the engine (on the loop, under the lock); its effects go out with the batch's. */
    private void handle(ConsumerRecord<String, byte[]> r) {
        if (Topics.TRAINING_ALERTS.equals(r.topic())) {
            ReadResult<Alert> a = EventCodec.readAlert(r.value());
            if (!a.isValid()) {
                throw new PollLoop.Unreadable(a.error());
            }
            batch.addAll(engine.onAlert(a.value()));
        } else {
            ReadResult<TrainingEvent> e = EventCodec.readTrainingEvent(r.value());
            if (!e.isValid()) {
                throw new PollLoop.Unreadable(e.error());
            }
            batch.addAll(engine.onEvent(e.value()));
        }
    }

    /** A record that could not be read, or that the engine failed on: reported, and the tuner goes on. */
    private void rejected(ConsumerRecord<String, byte[]> r, Exception e) {
        if (e instanceof PollLoop.Unreadable) {
            rejected(r, e.getMessage());
        } else {
            rejected(r, "the engine failed on it: " + e);
            Log.errorf(e, "Tuner failed on %s-%d@%d", r.topic(), r.partition(), r.offset());
        }
    }

    private void rejected(ConsumerRecord<String, byte[]> r, String reason) {
        listener.rejected(r.topic(), reason);
        if (rejectedLogged < 20) {
            rejectedLogged++;
            Log.warnf("Skipped an unreadable record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), reason);
        }
    }

    /** Queues the effects and carries out the outbox in order; what fails stays queued for the next call. */
    private void apply(Effects fx) {
        if (!fx.isEmpty() || !fx.decisions().isEmpty()) {
            outbox.add(fx);
        }
        while (!outbox.isEmpty()) {
            Effects next = outbox.peek();
            try {
                publish(next);
            } catch (Exception e) {
                lastError = "cannot write to Kafka: " + e;
                Log.warnf("Tuner could not persist or publish (%d effects waiting): %s", outbox.size(), e.toString());
                return;
            }
            outbox.poll();
            listener.published(next, engine);
        }
    }

    private void publish(Effects fx) throws Exception {
        if (!writer.isOpen() && !ready) {
            throw new IllegalStateException("no producer yet");
        }
        writer.write(fx);
    }

    /** Stops the loop and closes the clients; what was not committed is read again by the next tuner. */
    @Override
    public void close() {
        loop.stop();
        writer.close(Duration.ofSeconds(5));
    }

    /**
     * Stops writing at once (the producer closed without waiting, its open transaction left for the next writer's
     * init to abort), then stops the loop: for an instance that is no longer the active one.
     */
    @Override
    public void abandon() {
        ready = false;
        writer.fence();
        loop.stop();
    }
}
