package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.engine.Effects;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.service.consume.PollLoop;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a {@link StudyEngine} against Kafka: at start it has the {@link TopicInitializer} create the missing
 * topics (the compacted studies topic under its configured name included; none when topic creation is turned
 * off), reloads every study and steered run from it and publishes the trials the trials topic lacks; then its
 * {@link PollLoop} reads {@code training.alerts} and {@code training.events}, feeds the engine and carries out its
 * effects in order (studies persisted first, then trials, then commands), committing the input offsets only after.
 * Effects that fail (broker down) stay in an outbox and are retried in order. Plain Java: the Quarkus
 * service wraps it, and tests start and stop it like a real tuner process.
 */
public final class TunerRuntime implements AutoCloseable {

    /** Topics and timings of a runtime. */
    public record Settings(String studiesTopic, String consumerGroup, Duration pollTimeout, Duration sendTimeout,
                           Duration retryBackoff) {
    }

    private final Map<String, Object> producerConfig;
    private final Map<String, Object> consumerConfig;
    private final TopicInitializer topics;
    private final Settings settings;
    private final StudyEngine engine;
    private final TunerListener listener;
    private final Deque<Effects> outbox = new ArrayDeque<>();
    private final PollLoop<String, byte[]> loop;
    private volatile boolean ready;
    private volatile String lastError;
    private volatile KafkaProducer<String, byte[]> producer;
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
        this.producerConfig = new HashMap<>(producerConfig);
        this.producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        // gzip: the JDK's own codec, which every broker can read; a broker without lz4-java on its class path
        // (the bundled local-kafka) fails lz4 batches on the compacted tuner.studies with NoClassDefFoundError.
        this.producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        this.consumerConfig = new HashMap<>(consumerConfig);
        this.topics = topics;
        this.settings = settings;
        this.engine = engine;
        this.listener = listener;
        Map<String, Object> group = new HashMap<>(consumerConfig);
        group.put(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup());
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

    /** Starts a study; its state is persisted and its first trials published before this returns. */
    public synchronized StudyState create(String id, StudySpec spec) {
        requireReady();
        Effects fx = engine.create(id, spec);
        apply(fx);
        return engine.study(id).orElseThrow();
    }

    /** Stops a study; unknown ids throw {@link IllegalArgumentException}. */
    public synchronized StudyState stop(String id, String reason) {
        requireReady();
        apply(engine.stop(id, reason));
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
                closeProducer();
                throw e;
            }
        }
        consumer.subscribe(List.of(Topics.TRAINING_ALERTS, Topics.TRAINING_EVENTS));
        return true;
    }

    private void restore() throws Exception {
        Duration timeout = settings.sendTimeout();
        topics.createMissing(List.of(StudiesTopic.SPEC.named(settings.studiesTopic())), timeout);
        StudiesTopic.Loaded loaded = StudiesTopic.load(consumerConfig, settings.studiesTopic(), timeout);
        Collection<StudyState> studies = loaded.studies();
        Set<String> running = new HashSet<>();
        studies.stream().filter(StudyState::isRunning).forEach(s -> running.add(s.id));
        Set<String> published = StudiesTopic.publishedTrials(consumerConfig, Topics.TUNER_TRIALS, running, timeout);
        producer = new KafkaProducer<>(producerConfig);
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
        if (producer == null) {
            throw new IllegalStateException("no producer yet");
        }
        long timeout = settings.sendTimeout().toMillis();
        List<Future<?>> sent = new ArrayList<>();
        for (StudyState s : fx.changedStudies()) {
            sent.add(producer.send(new ProducerRecord<>(settings.studiesTopic(), s.id,
                    io.trainwatch.tuner.study.StudyJson.write(s))));
        }
        for (SteeredRun r : fx.changedRuns()) {
            sent.add(producer.send(new ProducerRecord<>(settings.studiesTopic(), r.key(), SteeredRunJson.write(r))));
        }
        for (String runId : fx.removedRuns()) {
            sent.add(producer.send(new ProducerRecord<>(settings.studiesTopic(), SteeredRun.KEY_PREFIX + runId, null)));
        }
        waitAll(sent, timeout);
        for (Trial t : fx.trials()) {
            sent.add(producer.send(new ProducerRecord<>(Topics.TUNER_TRIALS, t.runId(), EventCodec.write(t))));
        }
        waitAll(sent, timeout);
        for (TunerCommand c : fx.commands()) {
            sent.add(producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, c.runId(), EventCodec.write(c))));
        }
        waitAll(sent, timeout);
    }

    private static void waitAll(List<Future<?>> futures, long timeoutMs) throws Exception {
        for (Future<?> f : futures) {
            f.get(timeoutMs, TimeUnit.MILLISECONDS);
        }
        futures.clear();
    }

    private void closeProducer() {
        KafkaProducer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(Duration.ofSeconds(5));
            } catch (Exception e) {
                Log.debugf("closing the producer: %s", e);
            }
        }
    }

    /** Stops the loop and closes the clients; what was not committed is read again by the next tuner. */
    @Override
    public void close() {
        loop.stop();
        closeProducer();
    }
}
