package io.trainwatch.tuner.kafka;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.tuner.FakeTrainer;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.engine.EngineSettings;
import io.trainwatch.tuner.engine.SteerSettings;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two tuner instances of one consumer group, each in a child JVM ({@link TunerProcess}), over the real broker: the
 * first is active, the second stands by. The test plays the trainer (each trial runs about a second: run-started,
 * a step, then a validation and run-finished) for an 8-trial study, two at a time; mid-study it kills the active
 * JVM with SIGKILL. The standby takes over (elected, studies reloaded, input resumed from the committed offsets), the
 * study completes, and every trial id is on {@code tuner.trials} exactly once for a {@code read_committed} reader (as
 * trainers read), none lost. Then a third instance stands by and the active one is paused (SIGSTOP): the third takes
 * over, and the old one, resumed and asked to create a study before it learns it lost, is fenced (nothing published).
 * Last the active one is stopped cleanly (SIGTERM): the standby takes over without waiting for a session to expire.
 * In this JVM, without the election: a runtime whose writes another one's producer fenced publishes nothing more. Prints the takeover times (kill or stop to the new
 * active having reloaded).
 */
class TunerFailoverIT {

    static final int TRIALS = 8;

    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final String studiesTopic = "tuner.studies.failover-" + suffix;
    final String group = "tuner-failover-" + suffix;
    final String studyId = "failover-" + suffix;
    final List<Child> children = new ArrayList<>();

    /** A tuner JVM, its stdin and the lines it printed. */
    static final class Child {
        final String instance;
        final Process process;
        final PrintWriter stdin;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Child(String instance, Process process, Path log) throws IOException {
            this.instance = instance;
            this.process = process;
            this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Writer out = Files.newBufferedWriter(log);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8)); out) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                        out.write(line + "\n");
                        out.flush();
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            }, "child-" + instance);
            reader.setDaemon(true);
            reader.start();
        }

        /** The epoch ms of the last line {@code <word> <instance> [role] <ms>}, if printed. */
        Optional<Long> last(String word, String role) {
            String prefix = word + " " + instance + " " + (role == null ? "" : role + " ");
            return lines.stream().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b)
                    .map(l -> Long.parseLong(l.substring(prefix.length()).trim()));
        }

        boolean printed(String line) {
            return lines.stream().anyMatch(l -> l.startsWith(line));
        }
    }

    @AfterEach
    void killChildren() {
        children.forEach(c -> c.process.destroyForcibly());
    }

    Child start(String instance) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        if (System.getProperty("java.util.logging.manager") != null) {
            cmd.add("-Djava.util.logging.manager=" + System.getProperty("java.util.logging.manager"));
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TunerProcess.class.getName());
        cmd.add(TestKafka.bootstrapServers());
        cmd.add(studiesTopic);
        cmd.add(group);
        cmd.add(instance);
        Path dir = Files.createDirectories(Path.of("target", "tuner-failover-it"));
        Process p = new ProcessBuilder(cmd).redirectError(dir.resolve(instance + "-" + suffix + ".err").toFile()).start();
        Child c = new Child(instance, p, dir.resolve(instance + "-" + suffix + ".log"));
        children.add(c);
        return c;
    }

    @Test
    void whenTheActiveTunerIsKilledTheStandbyTakesOverAndTheStudyCompletesWithEveryTrialOnce() throws Exception {
        Child a = start("tuner-a");
        await().atMost(Duration.ofSeconds(60)).until(() -> a.last("READY", null).isPresent());
        long aStarted = a.last("STARTED", null).orElseThrow();
        System.out.printf("tuner failover: alone, tuner-a was elected %.2f s and had reloaded %.2f s after its main "
                + "started%n", (a.last("ROLE", "active").orElseThrow() - aStarted) / 1000.0,
                (a.last("READY", null).orElseThrow() - aStarted) / 1000.0);
        Child b = start("tuner-b");
        await().atMost(Duration.ofSeconds(60)).until(() -> b.last("ROLE", "standby").isPresent());
        assertThat(a.last("ROLE", "standby")).as("a standby joining leaves the active one alone").isEmpty();

        Map<String, Long> startedAt = new ConcurrentHashMap<>();
        try (FakeTrainer trainer = new FakeTrainer(studyId, t -> FakeTrainer.Outcome.run())) {
            Thread finisher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long now = System.currentTimeMillis();
                    trainer.open.keySet().forEach(run -> startedAt.putIfAbsent(run, now));
                    startedAt.forEach((run, at) -> {
                        if (now - at >= 1000 && trainer.open.containsKey(run)) {
                            trainer.finish(run, 0.5 + (run.hashCode() & 0xff) / 1000.0);
                        }
                    });
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "test-trainer-finisher");
            finisher.setDaemon(true);
            finisher.start();
            try {
                b.stdin.println("create " + studyId + " " + TRIALS + " 2");
                await().atMost(Duration.ofSeconds(10)).until(() -> b.printed("NOT-ACTIVE " + studyId));
                a.stdin.println("create " + studyId + " " + TRIALS + " 2");
                await().atMost(Duration.ofSeconds(30)).until(() -> a.printed("CREATED " + studyId));

                // Mid-study: three trials finished, two more running.
                await().atMost(Duration.ofSeconds(60)).until(() -> trainer.received.size() >= 5);
                long killedAt = System.currentTimeMillis();
                a.process.destroyForcibly(); // SIGKILL: nothing of it gets to finish anything
                assertThat(a.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
                int beforeKill = trainer.received.size();

                await().atMost(Duration.ofSeconds(45)).until(() -> b.last("READY", null).isPresent());
                long active = b.last("ROLE", "active").orElseThrow();
                long ready = b.last("READY", null).orElseThrow();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> committedTrials().size() >= TRIALS && trainer.open.isEmpty()
                                && trainer.received.size() >= TRIALS);
                Thread.sleep(2000); // anything published twice would come now
                Map<String, Long> committed = committedTrials().stream()
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
                long duplicates = committed.values().stream().mapToLong(n -> n - 1).sum();
                long uncommittedOnly = allTrialRecords() - committedTrials().size();
                System.out.printf("tuner failover: killed the active tuner after %d of %d trials had started; "
                                + "the standby was elected %.1f s and had reloaded %.1f s after the kill; trials published "
                                + "%d (%d distinct), duplicates %d, records of aborted transactions %d, trials the trainer "
                                + "started %d%n", beforeKill, TRIALS, (active - killedAt) / 1000.0,
                        (ready - killedAt) / 1000.0, committed.values().stream().mapToLong(n -> n).sum(),
                        committed.size(), duplicates, uncommittedOnly, trainer.received.size());

                assertThat(committed.keySet()).containsExactlyInAnyOrder("t000", "t001", "t002", "t003", "t004",
                        "t005", "t006", "t007");
                assertThat(duplicates).as("no trial published twice").isZero();
                assertThat(trainer.received).extracting(Trial::trialId).doesNotHaveDuplicates().hasSize(TRIALS);
                assertThat(ready - killedAt).as("takeover (kill to reloaded) in ms").isLessThan(30_000);

                // Paused, not dead (SIGSTOP: a long GC pause, a partition): a third instance takes over; resumed, the
                // old active one may try to write before it learns it lost, and is fenced.
                Child c = start("tuner-c");
                await().atMost(Duration.ofSeconds(60)).until(() -> c.last("ROLE", "standby").isPresent());
                long pausedAt = System.currentTimeMillis();
                signal(b.process, "STOP");
                await().atMost(Duration.ofSeconds(45)).until(() -> c.last("READY", null).isPresent());
                signal(b.process, "CONT");
                String zombie = "zombie-" + suffix;
                b.stdin.println("create " + zombie + " 2 2");
                await().atMost(Duration.ofSeconds(30)).until(() -> b.printed("NOT-ACTIVE " + zombie)
                        || b.printed("CREATED " + zombie));
                await().atMost(Duration.ofSeconds(30)).until(() -> b.last("ROLE", "standby").isPresent());
                Thread.sleep(1000);
                System.out.printf("tuner failover: paused the active tuner (SIGSTOP); the standby had reloaded %.1f s "
                        + "later; resumed, the old one stood down and published %d trials of a study it was asked to "
                        + "create (%s)%n", (c.last("READY", null).orElseThrow() - pausedAt) / 1000.0,
                        trials(zombie, "read_committed").size(),
                        b.lines.stream().filter(l -> l.contains(zombie)).findFirst().orElse(""));
                assertThat(b.printed("NOT-ACTIVE " + zombie)).as("the resumed old active one is fenced").isTrue();
                assertThat(trials(zombie, "read_committed")).isEmpty();

                // A clean stop (SIGTERM) of the active one: it leaves the group, the standby takes over at once.
                long stoppedAt = System.currentTimeMillis();
                c.process.destroy();
                await().atMost(Duration.ofSeconds(30)).until(() -> b.last("READY", null).orElse(0L) > stoppedAt);
                System.out.printf("tuner failover: after a clean stop (SIGTERM) of the active one, the standby was "
                                + "elected %.1f s and had reloaded %.1f s later%n",
                        (b.last("ROLE", "active").orElseThrow() - stoppedAt) / 1000.0,
                        (b.last("READY", null).orElseThrow() - stoppedAt) / 1000.0);
                assertThat(c.process.waitFor(20, TimeUnit.SECONDS)).as("stopped by its shutdown hook").isTrue();
                assertThat(committedTrials()).as("nothing published again").hasSize(TRIALS);
            } finally {
                finisher.interrupt();
            }
        }
    }

    @Test
    void anOldActiveRuntimeThatStillBelievesItLeadsIsFencedByTheNewOnesProducer() throws Exception {
        KafkaClients kafka = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
        AtomicBoolean told = new AtomicBoolean();
        TunerRuntime old = runtime(kafka).onFenced(() -> told.set(true)).start();
        TunerRuntime next = null;
        try {
            await().atMost(Duration.ofSeconds(30)).until(old::isReady);
            next = runtime(kafka).start(); // as an instance elected while the old one stalled: its init fences the old
            await().atMost(Duration.ofSeconds(30)).until(next::isReady);
            String stale = "stale-" + suffix;
            assertThatThrownBy(() -> old.create(stale, Fixtures.spec(2, 2, 100, 1)))
                    .isInstanceOf(TunerRuntime.NotReadyException.class).hasMessageContaining("no longer the active");
            assertThat(told).as("the old runtime tells its owner it was fenced").isTrue();
            assertThatThrownBy(() -> old.create("stale-again-" + suffix, Fixtures.spec(2, 2, 100, 1)))
                    .isInstanceOf(TunerRuntime.NotReadyException.class);
            String fresh = "fresh-" + suffix;
            next.create(fresh, Fixtures.spec(2, 2, 100, 1));
            assertThat(trials(fresh, "read_committed")).containsExactlyInAnyOrder("t000", "t001");
            assertThat(trials(stale, "read_committed")).as("nothing of the fenced write is readable").isEmpty();
        } finally {
            old.close();
            if (next != null) {
                next.close();
            }
        }
    }

    private TunerRuntime runtime(KafkaClients kafka) {
        return new TunerRuntime(kafka.producer("fence-test"), kafka.consumer(group, "fence-test"),
                new TopicInitializer(kafka, true), new TunerRuntime.Settings(studiesTopic, group, Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofMillis(500)), new StudyEngine(new AlertPolicy(PolicySettings.defaults()),
                EngineSettings.defaults(), SteerSettings.defaults(), Clock.systemUTC()), TunerListener.NONE, null);
    }

    static void signal(Process p, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor()).isZero();
    }

    /** The trial ids of the study on tuner.trials as a read_committed reader (every trainer) sees them. */
    List<String> committedTrials() {
        return trials(studyId, "read_committed");
    }

    long allTrialRecords() {
        return trials(studyId, "read_uncommitted").size();
    }

    private static List<String> trials(String studyId, String isolation) {
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            List<TopicPartition> parts = c.partitionsFor(Topics.TUNER_TRIALS).stream()
                    .map(p -> new TopicPartition(Topics.TUNER_TRIALS, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 20_000;
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(r -> {
                    ReadResult<Trial> t = r.value() == null ? null : EventCodec.readTrial(r.value());
                    if (t != null && t.isValid() && studyId.equals(t.value().studyId())) {
                        out.add(t.value().trialId());
                    }
                });
            }
        }
        return out;
    }
}
