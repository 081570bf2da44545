package io.trainwatch.tuner.kafka;

import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.engine.EngineSettings;
import io.trainwatch.tuner.engine.SteerSettings;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One tuner instance assembled by hand as {@code TunerService} assembles it, without Quarkus: a {@link Leadership}
 * whose terms are {@link TunerRuntime}s over fresh engines, elected by a {@link LeaderElector}. {@link TunerFailoverIT}
 * runs two in child JVMs and kills the active one. It prints {@code STARTED <instance> <epoch ms>} first,
 * {@code ROLE <instance> <role> <epoch ms>} on every role change and {@code READY <instance> <epoch ms>} when a term has reloaded its studies; it reads commands on stdin:
 * {@code create <studyId> <trials> <concurrent>} (answered {@code CREATED <id>} or {@code NOT-ACTIVE <id>}).
 * Arguments: bootstrap servers, studies topic, consumer group, instance id.
 */
public final class TunerProcess {

    private TunerProcess() {
    }

    public static void main(String[] args) throws Exception {
        String servers = args[0];
        String studiesTopic = args[1];
        String group = args[2];
        String instance = args[3];
        say("STARTED " + instance + " " + System.currentTimeMillis());
        KafkaClients kafka = new KafkaClients(Map.of("bootstrap.servers", servers));
        TopicInitializer topics = new TopicInitializer(kafka, true);
        TunerRuntime.Settings settings = new TunerRuntime.Settings(studiesTopic, group, Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofMillis(500));
        LeaderElector.Settings election = LeaderElector.Settings.of(group, instance, settings.sessionTimeout());
        AtomicReference<Leadership<TunerRuntime>> self = new AtomicReference<>();
        Leadership<TunerRuntime> leadership = new Leadership<>(instance, () -> new TunerRuntime(
                kafka.producer("tuner-" + instance), kafka.consumer(group, "tuner-" + instance), topics, settings,
                new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(),
                        SteerSettings.defaults(), Clock.systemUTC()), TunerListener.NONE, null)
                .onFenced(() -> self.get().fenced()).start(),
                election.silenceLimit(), s -> say("ROLE " + instance + " " + s.role().id() + " " + System.currentTimeMillis()),
                Clock.systemUTC());
        self.set(leadership);
        LeaderElector elector = new LeaderElector(kafka.consumer(null, "tuner-leader"), kafka.admin("tuner-leader"),
                topics, election, leadership).start();
        Runtime.getRuntime().addShutdownHook(new Thread(elector::close));

        Thread stdin = new Thread(() -> commands(leadership), "stdin");
        stdin.setDaemon(true);
        stdin.start();
        TunerRuntime readyTerm = null;
        while (true) {
            TunerRuntime term = leadership.term().filter(TunerRuntime::isReady).orElse(null);
            if (term != null && term != readyTerm) {
                say("READY " + instance + " " + System.currentTimeMillis());
            }
            readyTerm = term;
            Thread.sleep(10);
        }
    }

    private static void commands(Leadership<TunerRuntime> leadership) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                if (w.length == 4 && w[0].equals("create")) {
                    TunerRuntime term = leadership.term().orElse(null);
                    try {
                        if (term == null) {
                            throw new TunerRuntime.NotReadyException("standby");
                        }
                        term.create(w[1], Fixtures.spec(Integer.parseInt(w[2]), Integer.parseInt(w[3]), 100, 2));
                        say("CREATED " + w[1]);
                    } catch (RuntimeException e) {
                        say("NOT-ACTIVE " + w[1] + " " + e.getMessage());
                    }
                }
            }
        } catch (Exception e) {
            say("STDIN " + e);
        }
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
