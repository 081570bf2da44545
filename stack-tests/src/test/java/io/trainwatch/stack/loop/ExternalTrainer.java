package io.trainwatch.stack.loop;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * A training job that trainer-service did not start: a plain-Java program that speaks the contract with
 * kafka-clients only. It publishes {@code run-started} (with the given {@code control}, or none), a step every
 * few milliseconds and a validation every 100 steps, and follows {@code tuner.commands} for its run id. The loss is
 * simulated (no model): 1.6 (about ln 5, 5 classes) falling to a plateau at 0.8 by step ~60 (flat by the first
 * validation, so that the tuner has no improving validation to wait for), which only a lower
 * learning rate leaves: once a {@code set-learning-rate} below the starting rate is applied, the loss falls towards
 * 0.4. Commands to apply are applied between steps and confirmed with {@code command-applied}; a suggestion
 * ({@code mode: suggest}) is only recorded, as a person reading it would. A stand-in for the JVM client library.
 */
final class ExternalTrainer {

    static final double START_RATE = 0.01;

    /** What the run did. */
    record Result(List<StepEvent> steps, List<TunerCommand> received, List<CommandApplied> applied) {
    }

    private final String bootstrapServers;
    private final String runId;
    private final RunControl control;
    private final List<TunerCommand> received = new CopyOnWriteArrayList<>();

    ExternalTrainer(String bootstrapServers, String runId, RunControl control) {
        this.bootstrapServers = bootstrapServers;
        this.runId = runId;
        this.control = control;
    }

    /**
     * Trains until {@code done} says so (asked after each step with the step number) or {@code maxSteps}, one step
     * every {@code stepMillis} ms, then publishes {@code run-finished}.
     */
    Result run(int maxSteps, long stepMillis, LongPredicate done) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer());
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                     ConsumerConfig.CLIENT_ID_CONFIG, "external-trainer-" + runId),
                     new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(Topics.TUNER_COMMANDS, Duration.ofSeconds(30))
                    .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(p -> consumer.position(p, Duration.ofSeconds(10)));

            List<StepEvent> steps = new ArrayList<>();
            List<CommandApplied> applied = new ArrayList<>();
            publish(producer, new RunStarted(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null,
                    new RunConfig(null, "simulated, 5 classes", 5, "cross-entropy", List.of(), "sgd", START_RATE, 32,
                            null, 0.0, 0.0, 7L), "simulated", "none", control));
            Random noise = new Random(runId.hashCode());
            double rate = START_RATE;
            long decayedAt = -1;
            long step = 0;
            for (; step < maxSteps; step++) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ZERO)) {
                    ReadResult<TunerCommand> c = EventCodec.readCommand(r.value());
                    if (!c.isValid() || !runId.equals(c.value().runId())) {
                        continue;
                    }
                    TunerCommand command = c.value();
                    received.add(command);
                    if (command.isSuggestion() || applied.stream().anyMatch(a -> a.commandId().equals(command.commandId()))) {
                        continue;
                    }
                    if (TunerCommand.SET_LEARNING_RATE.equals(command.type())) {
                        double previous = rate;
                        rate = command.learningRate();
                        if (rate < START_RATE && decayedAt < 0) {
                            decayedAt = step;
                        }
                        CommandApplied a = new CommandApplied(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null,
                                command.commandId(), step, command.type(), Map.of("previousLearningRate", previous,
                                "learningRate", rate));
                        applied.add(a);
                        publish(producer, a);
                    }
                }
                double level = 0.8 + 0.8 * Math.exp(-step / 10.0);
                if (decayedAt >= 0) {
                    level -= 0.4 * (1 - Math.exp(-(step - decayedAt) / 40.0));
                }
                double loss = level + 0.01 * (noise.nextDouble() - 0.5);
                StepEvent s = new StepEvent(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null, step,
                        (int) (step / 100), loss, 0.85, rate, null, null, null, null, null, null);
                steps.add(s);
                publish(producer, s);
                if (step % 100 == 99) {
                    publish(producer, new ValidationEvent(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null,
                            step, (int) (step / 100), level, 0.85, level + 0.02, 0.85));
                }
                if (done.test(step)) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(stepMillis);
            }
            publish(producer, new RunFinished(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null,
                    RunFinished.COMPLETED, null, Math.min(step, maxSteps - 1), 0L));
            producer.flush();
            return new Result(steps, List.copyOf(received), applied);
        }
    }

    /** Commands and suggestions read so far (also while it runs). */
    List<TunerCommand> received() {
        return List.copyOf(received);
    }

    private static void publish(KafkaProducer<String, byte[]> producer, TrainingEvent e) {
        producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, e.runId(), EventCodec.write(e)));
    }
}
