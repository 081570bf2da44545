package io.trainwatch.tuner;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A stand-in for the trainer service, over the real broker: it takes the trials of one study from
 * {@code tuner.trials}, announces them on {@code training.events} with contract events, and obeys
 * {@code tuner.commands} (confirming each with {@code command-applied}). What a trial does is scripted by
 * a {@link Script}: finish at once with an accuracy, diverge, or keep running until the test finishes it.
 */
public final class FakeTrainer implements AutoCloseable {

    /** What a trial does when it starts. */
    public record Outcome(boolean keepRunning, boolean diverges, double accuracy) {
        public static Outcome finish(double accuracy) {
            return new Outcome(false, false, accuracy);
        }

        public static Outcome diverging() {
            return new Outcome(false, true, Double.NaN);
        }

        public static Outcome run() {
            return new Outcome(true, false, Double.NaN);
        }
    }

    /** A trial's script: from the trial, its outcome. */
    public interface Script extends Function<Trial, Outcome> {
    }

    /** A run the fake trainer holds open, with its current learning rate. */
    public static final class Running {
        public final Trial trial;
        public volatile double learningRate;
        public volatile long step;

        Running(Trial trial, double learningRate) {
            this.trial = trial;
            this.learningRate = learningRate;
        }
    }

    private final String studyId;
    private final Script script;
    private final Clock clock = Clock.systemUTC();
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    public final List<Trial> received = new CopyOnWriteArrayList<>();
    public final List<TunerCommand> commands = new CopyOnWriteArrayList<>();
    public final List<StepEvent> steps = new CopyOnWriteArrayList<>();
    public final Map<String, Running> open = new ConcurrentHashMap<>();

    public FakeTrainer(String studyId, Script script) {
        this.studyId = studyId;
        this.script = script;
        String servers = TestKafka.bootstrapServers();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.LINGER_MS_CONFIG, 0));
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                ConsumerConfig.GROUP_ID_CONFIG, "fake-trainer-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // as the trainer reads: the tuner writes in transactions, and an aborted trial is no trial
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
        consumer.subscribe(List.of(Topics.TUNER_TRIALS, Topics.TUNER_COMMANDS));
        thread = new Thread(this::loop, "fake-trainer-" + studyId);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (Topics.TUNER_TRIALS.equals(r.topic())) {
                        ReadResult<Trial> t = EventCodec.readTrial(r.value());
                        if (t.isValid() && studyId.equals(t.value().studyId())) {
                            start(t.value());
                        }
                    } else {
                        ReadResult<TunerCommand> c = EventCodec.readCommand(r.value());
                        if (c.isValid() && open.containsKey(c.value().runId())) {
                            obey(c.value());
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void start(Trial t) {
        received.add(t);
        Object lr = t.hyperparameters().get("learningRate");
        double rate = lr instanceof Number n ? n.doubleValue() : 0.01;
        send(new RunStarted(Contract.SCHEMA_VERSION, t.runId(), clock.instant(), t.studyId(), t.trialId(),
                new RunConfig("fake", "fake", 3, "cross-entropy", List.of(), "sgd", rate, 32, 1, null, null, null),
                "fake", "cpu"));
        Running run = new Running(t, rate);
        open.put(t.runId(), run);
        step(run, 0, 1.1);
        Outcome o = script.apply(t);
        if (o.diverges()) {
            step(run, 5, Double.NaN);
            end(run, RunFinished.DIVERGED, 5);
        } else if (!o.keepRunning()) {
            finish(t.runId(), o.accuracy());
        }
    }

    /** Finishes a running trial: a validation with this accuracy at its last step, then run-finished. */
    public void finish(String runId, double accuracy) {
        Running run = open.get(runId);
        if (run == null) {
            return;
        }
        long last = run.trial.budget().maxSteps() - 1;
        step(run, last, 1 - accuracy);
        send(new ValidationEvent(Contract.SCHEMA_VERSION, runId, clock.instant(), run.trial.studyId(), run.trial.trialId(),
                last, 1, 1 - accuracy, accuracy, 1 - accuracy, accuracy));
        end(run, RunFinished.COMPLETED, last);
    }

    /** A validation of a running trial. */
    public void validate(String runId, long step, double accuracy) {
        Running run = open.get(runId);
        send(new ValidationEvent(Contract.SCHEMA_VERSION, runId, clock.instant(), run.trial.studyId(), run.trial.trialId(),
                step, 1, 1 - accuracy, accuracy, 1 - accuracy, accuracy));
    }

    private void obey(TunerCommand c) {
        commands.add(c);
        Running run = open.get(c.runId());
        long at = run.step + 1;
        if (TunerCommand.SET_LEARNING_RATE.equals(c.type())) {
            double before = run.learningRate;
            run.learningRate = c.learningRate();
            send(new CommandApplied(Contract.SCHEMA_VERSION, c.runId(), clock.instant(), run.trial.studyId(),
                    run.trial.trialId(), c.commandId(), at, c.type(),
                    Map.of("previousLearningRate", before, "learningRate", c.learningRate())));
            step(run, at, 0.9);
        } else {
            send(new CommandApplied(Contract.SCHEMA_VERSION, c.runId(), clock.instant(), run.trial.studyId(),
                    run.trial.trialId(), c.commandId(), at, c.type(), Map.of()));
            end(run, RunFinished.STOPPED, at);
        }
    }

    private void step(Running run, long step, double loss) {
        run.step = step;
        StepEvent e = new StepEvent(Contract.SCHEMA_VERSION, run.trial.runId(), clock.instant(), run.trial.studyId(),
                run.trial.trialId(), step, 0, loss, null, run.learningRate, 1.0, null, null, null, 1.0, null);
        steps.add(e);
        send(e);
    }

    private void end(Running run, String status, long step) {
        open.remove(run.trial.runId());
        send(new RunFinished(Contract.SCHEMA_VERSION, run.trial.runId(), clock.instant(), run.trial.studyId(),
                run.trial.trialId(), status, "fake", step, 0L));
    }

    private void send(Object event) {
        String runId = event instanceof io.trainwatch.events.TrainingEvent e ? e.runId() : null;
        try {
            producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, EventCodec.write(event))).get();
        } catch (Exception e) {
            throw new IllegalStateException("fake trainer cannot send", e);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
