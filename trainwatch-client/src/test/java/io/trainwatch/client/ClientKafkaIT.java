package io.trainwatch.client;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A program's run over the real broker: run-started with its control, steps, a command read from
 * {@code tuner.commands} applied at the next step boundary and confirmed, a duplicate and a suggestion not
 * applied, a stop, run-finished.
 */
class ClientKafkaIT {

    @Test
    void aRunReportsItselfAndObeysItsCommands() throws Exception {
        String runId = "client-it-" + System.nanoTime();
        List<TunerCommand> suggestions = new CopyOnWriteArrayList<>();
        try (TrainwatchClient client = TrainwatchClient.builder().bootstrapServers(TestKafka.bootstrapServers())
                .build()) {
            Run run = client.run(runId).suggestions(suggestions::add).open();
            run.started(new RunConfig(null, "synthetic", 3, "cross-entropy", List.of(), "sgd", 0.1, 8, 1, null,
                    null, 1L), RunControl.of(RunControl.AUTO));
            await().atMost(Duration.ofSeconds(60)).until(client::commandsReady);

            double rate = 0.1;
            send(command(runId, "c1", TunerCommand.SET_LEARNING_RATE, 0.01, null));
            send(command(runId, "c1", TunerCommand.SET_LEARNING_RATE, 0.5, null)); // duplicate id
            send(command(runId, "s1", TunerCommand.SET_LEARNING_RATE, 0.9, TunerCommand.SUGGEST));
            send(command(runId, "c2", TunerCommand.STOP, null, null));
            await().atMost(Duration.ofSeconds(30)).until(run::hasPendingCommand);
            await().atMost(Duration.ofSeconds(30)).until(() -> suggestions.size() == 1);

            long step = 0;
            double[] current = {rate};
            for (; step < 1000 && !run.stopRequested(); step++) {
                run.applyPending(step, c -> {
                    if (TunerCommand.SET_LEARNING_RATE.equals(c.type())) {
                        double previous = current[0];
                        current[0] = c.learningRate();
                        return Map.of("previousLearningRate", previous, "learningRate", c.learningRate());
                    }
                    return Map.of();
                });
                if (run.stopRequested()) {
                    break;
                }
                run.step(step, 0, 1.0 / (step + 1), null, current[0]);
                Thread.sleep(5);
            }
            run.close();
            assertThat(current[0]).isEqualTo(0.01);
            assertThat(run.stopReason()).contains("c2");
        }

        List<TrainingEvent> events = read(runId, e -> e instanceof RunFinished);
        assertThat(events.get(0)).isInstanceOf(RunStarted.class);
        assertThat(((RunStarted) events.get(0)).control().mode()).isEqualTo(RunControl.AUTO);
        List<CommandApplied> applied = events.stream().filter(e -> e instanceof CommandApplied)
                .map(e -> (CommandApplied) e).toList();
        assertThat(applied).extracting(CommandApplied::commandId).containsExactly("c1", "c2");
        assertThat(applied.get(0).details()).containsEntry("learningRate", 0.01).containsEntry("reason", "test");
        RunFinished finished = (RunFinished) events.get(events.size() - 1);
        assertThat(finished.status()).isEqualTo(RunFinished.STOPPED);
        assertThat(finished.droppedEvents()).isZero();
        List<StepEvent> steps = events.stream().filter(e -> e instanceof StepEvent).map(e -> (StepEvent) e).toList();
        assertThat(steps).allSatisfy(s -> assertThat(s.learningRate()).isEqualTo(0.01));
        assertThat(finished.step()).isEqualTo(steps.isEmpty() ? 0 : steps.get(steps.size() - 1).step());
        assertThat(suggestions).extracting(TunerCommand::commandId).containsExactly("s1");
    }

    @Test
    void aDeadBrokerCostsDroppedStepsNeverASlowCall() {
        String runId = "client-dead-" + System.nanoTime();
        try (TrainwatchClient client = TrainwatchClient.builder().bootstrapServers("127.0.0.1:1").queue(100, 10)
                .spill(null, 0).maxBlock(Duration.ofMillis(200)).commands(false).build()) {
            Run run = client.run(runId).open();
            long worst = 0;
            for (int i = 0; i < 3000; i++) {
                long t0 = System.nanoTime();
                run.step(i, 0, 1.0, null, 0.1);
                worst = Math.max(worst, System.nanoTime() - t0);
            }
            run.close();
            System.out.printf("ClientKafkaIT: worst step() call with a dead broker %.1f ms%n", worst / 1e6);
            // A call that waited for the broker would leave room in the queue and drop nothing: the drops show
            // that the calls returned without waiting.
            assertThat(client.buffer().droppedTotal()).isGreaterThanOrEqualTo(2800);
            assertThat(run.isFinished()).isTrue();
            client.close(Duration.ofMillis(300));
        }
    }

    static TunerCommand command(String runId, String id, String type, Double rate, String mode) {
        return new TunerCommand(Contract.SCHEMA_VERSION, id, runId, type, rate, "test", null, Instant.now(), null,
                null, mode);
    }

    static void send(TunerCommand c) throws Exception {
        Map<String, Object> config = TestKafka.producerConfig();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(config)) {
            p.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, c.runId(),
                    new String(EventCodec.write(c), StandardCharsets.UTF_8))).get();
        }
    }

    /** The events of a run on {@code training.events}, in order, up to the first that matches {@code last}. */
    static List<TrainingEvent> read(String runId, java.util.function.Predicate<TrainingEvent> last) {
        Map<String, Object> config = TestKafka.consumerConfig("read-" + runId);
        config.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        List<TrainingEvent> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> tps = consumer.partitionsFor(Topics.TRAINING_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (got.isEmpty() || !last.test(got.get(got.size() - 1)))) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        got.add(EventCodec.readTrainingEvent(r.value()).value());
                    }
                }
            }
        }
        assertThat(got).isNotEmpty();
        assertThat(last.test(got.get(got.size() - 1))).as("the run's last event arrived").isTrue();
        return got;
    }
}
