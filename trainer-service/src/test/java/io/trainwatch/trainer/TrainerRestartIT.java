package io.trainwatch.trainer;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.trainer.state.Interruptions;
import io.trainwatch.trainer.state.RunJournal;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A trainer killed while it trains, and restarted with the same state dir: the run it left gets its
 * {@code run-finished} (failed, interrupted) with the last step its journal recorded, and the commands written
 * while it was down are read from its consumer group's committed offsets and applied, once, to the run they name
 * that exists after the restart. The first trainer runs in a child JVM ({@link TrainerPieces#main}) killed with
 * SIGKILL, so that nothing of it gets to finish anything; the second one in this JVM.
 */
class TrainerRestartIT {

    @TempDir
    Path stateDir;

    private KafkaConsumer<String, byte[]> events;
    private KafkaProducer<String, byte[]> producer;
    private final List<TrainingEvent> seen = new ArrayList<>();
    private Process child;
    private TrainerPieces restarted;

    @BeforeEach
    void clients() throws Exception {
        new TopicInitializer(new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers())), true)
                .createMissing(List.of(), Duration.ofSeconds(30));
        Map<String, Object> c = TestKafka.consumerConfig("unused");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        events = new KafkaConsumer<>(c);
        List<TopicPartition> tps = events.partitionsFor(Topics.TRAINING_EVENTS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        events.assign(tps);
        events.seekToBeginning(tps);
        Map<String, Object> p = TestKafka.producerConfig();
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    @AfterEach
    void close() {
        if (child != null) {
            child.destroyForcibly();
        }
        if (restarted != null) {
            restarted.commands.stop();
            restarted.runs.views().forEach(v -> restarted.runs.stop(v.runId(), "test over"));
        }
        events.close();
        producer.close();
    }

    @Test
    void aKilledTrainersRunEndsInterruptedAndCommandsWrittenWhileItWasDownAreAppliedOnceAfterTheRestart()
            throws Exception {
        String killed = "run-killed-" + UUID.randomUUID().toString().substring(0, 8);
        String next = "run-next-" + UUID.randomUUID().toString().substring(0, 8);
        child = startChild(killed);
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> only(of(killed), StepEvent.class).size() >= 5);

        // Before the crash: a command is read and applied (and its offset committed by the consumer group).
        send(command("cmd-before-" + killed, killed, 0.0005));
        await().atMost(60, TimeUnit.SECONDS).until(() -> only(of(killed), CommandApplied.class).size() == 1);
        // The journal has recorded a step of the run (it writes every 5 s).
        RunJournal peek = new RunJournal(stateDir.resolve("runs"));
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250))
                .until(() -> peek.leftovers().stream().anyMatch(e -> e.runId().equals(killed) && e.step() > 0));

        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(child.isAlive()).isFalse();
        long journalStep = peek.leftovers().get(0).step();
        assertThat(journalStep).isPositive();
        assertThat(of(killed)).noneMatch(e -> e instanceof RunFinished);

        // While it is down: a command for the killed run, and one (written twice) for a run that starts with the
        // restarted trainer.
        send(command("cmd-down-" + killed, killed, 0.0001));
        TunerCommand forNext = command("cmd-down-" + next, next, 0.0002);
        send(forNext);
        send(forNext);

        restarted = new TrainerPieces(TestKafka.bootstrapServers(), stateDir);
        restarted.runs.startRest(next, TrainerPieces.longRun());
        restarted.commands.start();

        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> !only(of(killed), RunFinished.class).isEmpty());
        RunFinished end = only(of(killed), RunFinished.class).get(0);
        assertThat(end.status()).isEqualTo(RunFinished.FAILED);
        assertThat(end.reason()).isEqualTo(Interruptions.REASON);
        assertThat(end.step()).as("the last step the journal recorded").isEqualTo(journalStep);
        assertThat(restarted.runs.interruptedByRestart(killed)).isTrue();
        // The journal lets the killed run go once the broker has acknowledged its run-finished.
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(new RunJournal(stateDir.resolve("runs")).leftovers()).extracting(RunJournal.Entry::runId)
                        .as("the killed run is reported once; the new run is this trainer's own")
                        .containsExactly(next));

        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> only(of(next), CommandApplied.class).size() == 1
                        && only(of(next), StepEvent.class).stream()
                        .anyMatch(s -> s.step() > only(of(next), CommandApplied.class).get(0).step() + 20));
        CommandApplied applied = only(of(next), CommandApplied.class).get(0);
        assertThat(applied.commandId()).isEqualTo(forNext.commandId());
        assertThat(only(of(next), CommandApplied.class)).as("written twice, applied once").hasSize(1);
        assertThat(only(of(next), StepEvent.class)).filteredOn(s -> s.step() >= applied.step())
                .allSatisfy(s -> assertThat(s.learningRate()).isEqualTo(0.0002));
        assertThat(of(killed)).filteredOn(e -> e instanceof CommandApplied).as("the killed run is over").hasSize(1);
        assertThat(only(of(next), RunStarted.class)).hasSize(1);
    }

    /**
     * A restarted trainer that cannot reach the broker sends the leftover's run-finished into its queue and starts at
     * once; it dies before the broker ever acknowledges it, and the journal still holds the run: the next start sends
     * the same run-finished again, and only the broker's acknowledgement takes it out of the journal.
     */
    @Test
    void aLeftoverWhoseRunFinishedNeverReachedTheBrokerIsSentAgainByTheNextStart() throws Exception {
        String lost = "run-lost-" + UUID.randomUUID().toString().substring(0, 8);
        RunJournal dead = new RunJournal(stateDir.resolve("runs"));
        dead.started(lost, null, null, Instant.now());
        dead.progress(lost, 42);

        String unreachable;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            unreachable = "127.0.0.1:" + s.getLocalPort(); // closed again below: nothing listens there
        }
        TrainerPieces down = new TrainerPieces(unreachable, stateDir);
        assertThat(down.runs.interruptedByRestart(lost)).isTrue();
        Thread.sleep(1000); // long enough for a run-finished to leave the queue, were there a broker
        down.runs.publisher().close(Duration.ofMillis(500)); // it dies: nothing was acknowledged
        RunJournal.Entry kept = new RunJournal(stateDir.resolve("runs")).leftovers().get(0);
        assertThat(kept.runId()).isEqualTo(lost);
        assertThat(kept.finished()).as("the run-finished it sent is recorded").isNotNull();
        assertThat(kept.finished().reason()).isEqualTo(Interruptions.REASON);
        assertThat(of(lost)).noneMatch(e -> e instanceof RunFinished);

        restarted = new TrainerPieces(TestKafka.bootstrapServers(), stateDir);
        await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> !only(of(lost), RunFinished.class).isEmpty());
        assertThat(only(of(lost), RunFinished.class)).singleElement().isEqualTo(kept.finished())
                .satisfies(f -> assertThat(f.step()).isEqualTo(42));
        await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> new RunJournal(stateDir.resolve("runs")).leftovers().isEmpty());
    }

    private Process startChild(String runId) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        for (String p : List.of("org.bytedeco.javacpp.cachedir", "org.deeplearning4j.resources.directory",
                "java.util.logging.manager")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TrainerPieces.class.getName());
        cmd.add(TestKafka.bootstrapServers());
        cmd.add(stateDir.toString());
        cmd.add(runId);
        File log = Files.createDirectories(Path.of("target", "trainer-restart-it")).resolve(runId + ".log").toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    }

    private TunerCommand command(String id, String runId, double rate) {
        return new TunerCommand(Contract.SCHEMA_VERSION, id, runId, TunerCommand.SET_LEARNING_RATE, rate,
                "test", null, Instant.now(), null, null);
    }

    private void send(TunerCommand c) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, c.runId(), EventCodec.write(c)))
                .get(10, TimeUnit.SECONDS);
    }

    private synchronized List<TrainingEvent> of(String runId) {
        for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(200))) {
            ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(r.value());
            assertThat(read.error()).as("every event the trainer writes is valid").isNull();
            seen.add(read.value());
        }
        return seen.stream().filter(e -> e.runId().equals(runId)).toList();
    }

    private static <T> List<T> only(List<TrainingEvent> all, Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
