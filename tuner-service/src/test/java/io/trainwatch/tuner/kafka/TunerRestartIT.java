package io.trainwatch.tuner.kafka;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.FakeTrainer;
import io.trainwatch.tuner.TopicReader;
import io.trainwatch.tuner.engine.EngineSettings;
import io.trainwatch.tuner.engine.SteerSettings;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A tuner process stopped in the middle of a study and started again over the real broker: the second
 * one reloads the study from the compacted topic, goes on from the events it had not read, loses no
 * trial and publishes none twice; a steered run outside the studies is reloaded the same way, and an evicted
 * one stays deleted.
 */
class TunerRestartIT {

    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final String studiesTopic = "tuner.studies.test-" + suffix;
    final String group = "tuner-test-" + suffix;
    final KafkaClients kafka = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));

    TunerRuntime tuner() {
        return tuner(SteerSettings.defaults());
    }

    TunerRuntime tuner(SteerSettings steer) {
        StudyEngine engine = new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(),
                steer, Clock.systemUTC());
        TunerRuntime r = new TunerRuntime(kafka.producer("tuner-test"), kafka.consumer(group, "tuner-test"),
                new TopicInitializer(kafka, true), new TunerRuntime.Settings(studiesTopic, group, Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofMillis(500)), engine, TunerListener.NONE, null).start();
        await().atMost(Duration.ofSeconds(30)).until(r::isReady);
        return r;
    }

    static List<Trial> published(String studyId) {
        return TopicReader.readAll(Topics.TUNER_TRIALS).stream().map(r -> EventCodec.readTrial(r.value()))
                .filter(ReadResult::isValid).map(ReadResult::value).filter(t -> t.studyId().equals(studyId)).toList();
    }

    @Test
    void aRestartLosesNothingAndDuplicatesNothing() throws Exception {
        String id = "restart-" + suffix;
        try (FakeTrainer trainer = new FakeTrainer(id, t -> FakeTrainer.Outcome.run())) {
            TunerRuntime first = tuner();
            first.create(id, Fixtures.spec(6, 2, 100, 2));
            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.size() == 2);
            trainer.finish(id + "-t000", 0.6);
            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.containsKey(id + "-t002"));
            trainer.validate(id + "-t001", 50, 0.55);
            await().atMost(Duration.ofSeconds(30)).until(() -> first.read(e ->
                    e.study(id).orElseThrow().trial("t001").orElseThrow().best) != null);
            first.close();

            // while no tuner runs, the trainer goes on: t001 finishes and t002 reports a validation
            trainer.finish(id + "-t001", 0.62);
            trainer.validate(id + "-t002", 50, 0.7);

            TunerRuntime second = tuner();
            try {
                StudyState restored = second.read(e -> e.study(id).orElseThrow());
                assertThat(restored).isNotNull();
                // the events of the gap are read: t001 has ended, t002 has its value
                await().atMost(Duration.ofSeconds(30)).until(() -> second.read(e ->
                        e.study(id).orElseThrow().trial("t001").orElseThrow().status).equals(TrialStatus.COMPLETED));
                await().atMost(Duration.ofSeconds(30)).until(() -> second.read(e ->
                        e.study(id).orElseThrow().trial("t002").orElseThrow().best) != null);
                // then the rest of the budget
                for (int i = 2; i < 6; i++) {
                    String run = id + "-t" + String.format("%03d", i);
                    await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.containsKey(run));
                    trainer.finish(run, 0.6 + i * 0.01);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> second.read(e ->
                        e.study(id).orElseThrow().status).equals(StudyState.COMPLETED));
                StudyState done = second.read(e -> StudyJson.read(StudyJson.write(e.study(id).orElseThrow()),
                        new String[1]).orElseThrow());
                assertThat(done.trials).extracting(t -> t.trialId)
                        .containsExactly("t000", "t001", "t002", "t003", "t004", "t005");
                assertThat(done.trials).extracting(t -> t.status).containsOnly(TrialStatus.COMPLETED);
                assertThat(done.trial("t001").orElseThrow().best).isEqualTo(0.62);
                assertThat(done.decisions).extracting(Decision::action).contains("start", Decision.NARROW, "complete");
                assertThat(published(id)).extracting(Trial::trialId).doesNotHaveDuplicates().hasSize(6);
                assertThat(trainer.received).extracting(Trial::trialId).doesNotHaveDuplicates().hasSize(6);
            } finally {
                second.close();
            }
        }
        try (Admin admin = Admin.create(kafka.admin("check"))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, studiesTopic);
            ConfigEntry policy = admin.describeConfigs(List.of(r)).all().get().get(r).get("cleanup.policy");
            assertThat(policy.value()).isEqualTo("compact");
        }
    }

    private void publish(String topic, String key, Object message) throws Exception {
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(kafka.producer("steer"))) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, EventCodec.write(message))).get();
        }
    }

    /** Whether the tuners of this test's group have committed everything now on the topics they read. */
    private boolean caughtUp() throws Exception {
        try (Admin admin = Admin.create(kafka.admin("caught-up"))) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> ends = new java.util.HashMap<>();
            for (String topic : List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS)) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().forEach(p ->
                        ends.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                                org.apache.kafka.clients.admin.OffsetSpec.latest()));
            }
            for (var e : admin.listOffsets(ends).all().get().entrySet()) {
                long end = e.getValue().offset();
                var c = committed.get(e.getKey());
                if (end > 0 && (c == null || c.offset() < end)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static long commandsOf(String runId) {
        return TopicReader.readAll(Topics.TUNER_COMMANDS).stream().filter(r -> runId.equals(r.key())).count();
    }

    private static RunStarted started(String runId) {
        return new RunStarted(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null, new RunConfig(null, "external",
                5, "cross-entropy", List.of(), "sgd", 0.01, 32, null, 0.0, 0.0, 1L), "external", "cpu",
                RunControl.of(RunControl.AUTO));
    }

    @Test
    void aSteeredRunSurvivesARestartAndAnEvictedOneStaysDeleted() throws Exception {
        String evicted = "steer-a-" + suffix;
        String run = "steer-b-" + suffix;
        SteerSettings one = new SteerSettings(1, Duration.ofHours(1), 8);
        TunerRuntime first = tuner(one);
        // The shared test broker holds the runs of earlier tests (some declare auto): with room for one run, this
        // tuner must have read them all before ours come, or one of them evicts ours.
        await().atMost(Duration.ofSeconds(60)).until(this::caughtUp);
        publish(Topics.TRAINING_EVENTS, evicted, started(evicted));
        await().atMost(Duration.ofSeconds(30)).until(() -> first.read(e -> e.runs().run(evicted).isPresent()));
        publish(Topics.TRAINING_EVENTS, run, started(run));
        Alert plateau = Fixtures.alert(run, DetectorName.PLATEAU.id(), 200);
        publish(Topics.TRAINING_ALERTS, run, plateau);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.read(e -> e.runs().run(run)
                .map(r -> r.state.pending.size()).orElse(0)) == 1 && first.outboxEmpty());
        boolean stillThere = first.read(e -> e.runs().run(evicted).isPresent());
        assertThat(stillThere).as("evicted: at most one run").isFalse();
        String commandId = run + "/" + plateau.alertId() + "/lr";
        await().atMost(Duration.ofSeconds(30)).until(() -> commandsOf(run) > 0);
        // Any tuner on this broker steers an auto run (in a full build, the @QuarkusTest tuner is still up): count
        // what is there once all have answered, and expect nothing more after the restart.
        Thread.sleep(1000);
        long before = commandsOf(run);
        first.close();

        // While no tuner runs, the run confirms the command.
        publish(Topics.TRAINING_EVENTS, run, new CommandApplied(Contract.SCHEMA_VERSION, run, Instant.now(), null, null,
                commandId, 230, TunerCommand.SET_LEARNING_RATE, Map.of()));

        // A tuner with room for many runs: only the tombstone keeps the evicted run away.
        TunerRuntime second = tuner();
        try {
            boolean back = second.read(e -> e.runs().run(evicted).isPresent());
            assertThat(back).as("the tombstone deleted it").isFalse();
            await().atMost(Duration.ofSeconds(30)).until(() -> second.read(e -> e.runs().run(run)
                    .map(r -> r.state.pending.isEmpty()).orElse(false)));
            SteeredRun r = second.read(e -> e.runs().run(run).orElseThrow());
            assertThat(r.control.mode()).isEqualTo(RunControl.AUTO);
            assertThat(r.state.plateau.decays).isEqualTo(1);
            assertThat(r.state.decisions).extracting(Decision::action)
                    .contains("start", Decision.SET_LEARNING_RATE, Decision.CONFIRMED);
            // The alert replayed after the restart is known: no second command.
            publish(Topics.TRAINING_ALERTS, run, plateau);
            Thread.sleep(1500);
            assertThat(commandsOf(run)).isEqualTo(before);
        } finally {
            second.close();
        }
    }

    @Test
    void aStudyWhoseTrialWasNotPublishedBeforeTheCrashGetsItOnRestart() throws Exception {
        // Simulates a tuner that wrote the study document and died before sending its trials.
        String id = "crash-" + suffix;
        StudyEngine offline = new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(),
                Clock.systemUTC());
        offline.create(id, Fixtures.spec(2, 2, 100, 1));
        TunerRuntime writer = tuner(); // creates the topic
        writer.close();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(kafka.producer("crash"))) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(studiesTopic, id,
                    StudyJson.write(offline.study(id).orElseThrow()))).get();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(studiesTopic, "garbage",
                    "not a study".getBytes())).get();
        }
        try (FakeTrainer trainer = new FakeTrainer(id, t -> FakeTrainer.Outcome.finish(0.5))) {
            TunerRuntime again = tuner();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> again.read(e ->
                        e.study(id).map(s -> s.status).orElse("")).equals(StudyState.COMPLETED));
                assertThat(published(id)).extracting(Trial::trialId).containsExactlyInAnyOrder("t000", "t001");
            } finally {
                again.close();
            }
        }
    }

    @Test
    void withTopicCreationTurnedOffTheTunerCreatesNoTopic() throws Exception {
        StudyEngine engine = new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(),
                SteerSettings.defaults(), Clock.systemUTC());
        TunerRuntime r = new TunerRuntime(kafka.producer("tuner-test"), kafka.consumer(group, "tuner-test"),
                new TopicInitializer(kafka, false), new TunerRuntime.Settings(studiesTopic, group,
                Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMillis(500)), engine, TunerListener.NONE,
                null).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(r::isReady);
            try (Admin admin = Admin.create(kafka.admin("tuner-test"))) {
                assertThat(admin.listTopics().names().get()).doesNotContain(studiesTopic);
            }
        } finally {
            r.close();
        }
    }
}
