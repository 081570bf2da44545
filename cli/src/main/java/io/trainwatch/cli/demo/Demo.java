package io.trainwatch.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.cli.Args;
import io.trainwatch.cli.CliException;
import io.trainwatch.cli.Command;
import io.trainwatch.cli.Rest;
import io.trainwatch.cli.Terminal;
import io.trainwatch.client.KafkaSettings;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code trainwatch demo}'s driver, run against a stack that is up: starts every trainer scenario as a one-trial
 * study, a small search and a study that runs CS231n's tuning procedure (preflight checks, then the search) on the
 * tuner, prints runs, alerts, tuner actions and preflight results as they happen (read from Kafka and the tuner),
 * then a summary table. Exit status 0 only when every scenario got its expected diagnosis and no healthy run got an
 * alert; 1 otherwise (or on timeout); 2 for bad arguments or an unreachable stack. It talks to the services over
 * REST and reads the contract topics with the Kafka settings the services use ({@code KAFKA_*}, TLS/SASL included).
 */
public final class Demo implements Command {

    static final String USAGE = """
            usage: trainwatch demo [--keep] [--only NAME,NAME] [--no-search] [--timeout SECONDS]
                                   [--trainer URL] [--tuner URL] [--monitor URL] [--bootstrap HOST:PORT]
            Runs every trainer scenario as a one-trial study, a small search and CS231n's tuning procedure (preflight
            checks, then a search) on a running stack; prints runs, alerts and tuner actions as they happen, then a
            summary table. ./trainwatch demo starts the stack first (and stops it afterwards unless --keep).
              --only NAME,NAME    only these scenarios
              --no-search         the scenarios only (no search, no procedure)
              --timeout SECONDS   give up after this long (default 480)
            Exit status: 0 when every scenario got its expected diagnosis and no healthy run got an alert; 1 otherwise
            or on timeout; 2 for a bad argument or a stack that is not reachable.
            Environment: TRAINWATCH_TRAINER_URL, TRAINWATCH_TUNER_URL, TRAINWATCH_MONITOR_URL, TRAINWATCH_API_TOKEN,
            KAFKA_BOOTSTRAP_SERVERS and the other KAFKA_* client settings.""";

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final List<String> TOPICS = List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS,
            Topics.TUNER_COMMANDS, Topics.TUNER_TRIALS);
    /** Alerts for the last events arrive a moment after the run ends: once everything finished, wait this long without news. */
    private static final Duration GRACE = Duration.ofSeconds(5);
    /** How long the demo waits for the broker's topics before it says the stack is not up. */
    static final Duration KAFKA_WAIT = Duration.ofSeconds(15);

    private Terminal terminal;
    private Rest trainer;
    private Rest tuner;
    private String monitor;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public int run(List<String> arguments, Terminal t) throws CliException {
        Args args = new Args(name(), arguments);
        String trainerUrl = t.trainerUrl();
        String tunerUrl = t.tunerUrl();
        String monitorUrl = t.monitorUrl();
        KafkaSettings kafka = t.kafka();
        long timeoutS = 480;
        List<String> only = List.of();
        boolean studies = true;
        while (args.hasNext()) {
            String a = args.next();
            switch (a) {
                case "--trainer" -> trainerUrl = args.value(a);
                case "--tuner" -> tunerUrl = args.value(a);
                case "--monitor" -> monitorUrl = args.value(a);
                case "--bootstrap" -> kafka = kafka.withBootstrapServers(args.value(a));
                case "--timeout" -> timeoutS = args.longValue(a, 1, 86_400);
                case "--only" -> only = Arrays.stream(args.value(a).split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).toList();
                case "--no-search" -> studies = false;
                // The launcher's own switch: keeping the stack is its business, the driver ignores it.
                case "--keep" -> { }
                default -> {
                    if (Args.isHelp(a)) {
                        t.out().println(USAGE);
                        return 0;
                    }
                    throw args.unknown(a);
                }
            }
        }
        this.terminal = t;
        this.trainer = new Rest("trainer", strip(trainerUrl), t.apiToken());
        this.tuner = new Rest("tuner", strip(tunerUrl), t.apiToken());
        this.monitor = strip(monitorUrl);
        return run(kafka, Duration.ofSeconds(timeoutS), only, studies);
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private int run(KafkaSettings kafka, Duration timeout, List<String> only, boolean studies) throws CliException {
        long t0 = System.nanoTime();
        Rest.Answer answer = trainer.get("/scenarios");
        JsonNode scenarios = answer.json();
        if (!answer.ok() || scenarios == null) {
            throw new CliException(CliException.USAGE, "the trainer does not answer at " + trainer.base()
                    + "/scenarios: HTTP " + answer.status());
        }
        String suffix = Long.toString(System.currentTimeMillis(), 36);
        List<DemoPlan.Study> plan;
        try {
            plan = DemoPlan.studies(scenarios, suffix, only, studies);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.FAILED, e.getMessage());
        }
        KafkaConsumer<String, byte[]> consumer;
        try {
            consumer = consumer(kafka);
        } catch (KafkaException | IllegalStateException e) {
            throw new CliException(CliException.USAGE, "Kafka is not usable at " + kafka.bootstrapServers() + ": "
                    + e.getMessage());
        }
        try (consumer) {
            long scenarioCount = plan.stream().filter(s -> s.expected() != null).count();
            say("starting %d scenario runs (one-trial studies, so the tuner steers them)%s; live page: %s/",
                    scenarioCount, studies ? ", a search of 6 trials and CS231n's tuning procedure (preflight checks, then"
                            + " a search)" : "", monitor);
            List<String> rejected = new ArrayList<>();
            for (DemoPlan.Study s : plan) {
                Rest.Answer r = tuner.post("/studies", s.request());
                if (r.status() != 201) {
                    rejected.add(s.studyId());
                    say("the tuner refused study %s: HTTP %d %s", s.studyId(), r.status(), r.body());
                }
            }
            // A refused study never runs: the demo does not wait for it (the exit status reports it).
            DemoLedger ledger = new DemoLedger(plan.stream().filter(s -> !rejected.contains(s.studyId())).toList());
            List<String> studyIds = plan.stream().filter(s -> s.expected() == null).map(DemoPlan.Study::studyId)
                    .filter(id -> !rejected.contains(id)).toList();
            long deadline = System.nanoTime() + timeout.toNanos();
            long doneAt = 0;
            long nextCheck = 0;
            boolean timedOut = false;
            while (true) {
                boolean printed = false;
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Optional<String> line = dispatch(ledger, record);
                    line.ifPresent(this::say);
                    printed |= line.isPresent();
                }
                long now = System.nanoTime();
                if (printed && doneAt != 0) {
                    doneAt = now; // still news (a late alert, a resolution): wait for quiet again
                }
                if (doneAt == 0 && now >= nextCheck) {
                    nextCheck = now + Duration.ofSeconds(2).toNanos();
                    boolean studiesOver = true;
                    for (String id : studyIds) {
                        ledger.onStudyText(id, text(id)).forEach(this::say);
                        studiesOver &= !"running".equals(studyStatus(id));
                    }
                    if (ledger.scenarioRunsFinished() && studiesOver) {
                        doneAt = now;
                    }
                }
                if (doneAt != 0 && now - doneAt >= GRACE.toNanos()) {
                    break;
                }
                if (now >= deadline) {
                    timedOut = true;
                    say("timed out after %d s: stopping the demo's studies", timeout.toSeconds());
                    for (DemoPlan.Study s : plan) {
                        try {
                            tuner.post("/studies/" + Rest.segment(s.studyId()) + "/stop?reason=demo+timed+out", null);
                        } catch (CliException e) {
                            say("could not stop study %s: %s", s.studyId(), e.getMessage());
                        }
                    }
                    break;
                }
            }
            var out = terminal.out();
            out.println();
            out.println("Summary (" + Math.round((System.nanoTime() - t0) / 1e9) + " s):");
            out.print(ledger.table());
            for (String id : studyIds) {
                String text = text(id);
                out.println();
                out.print(text != null ? text : "(the leaderboard of " + id + " is not available)\n");
            }
            out.println();
            out.println("Live page: " + monitor + "/   (runs, curves, alerts and tuner actions)");
            boolean ok = !timedOut && rejected.isEmpty() && ledger.passed();
            if (!ok) {
                throw new CliException(CliException.FAILED, "FAILED: " + (timedOut ? "timed out; " : "")
                        + (rejected.isEmpty() ? "" : "studies refused; ") + "see the verdict column");
            }
            out.println("demo: every scenario got its expected diagnosis and the healthy run no alert");
            return 0;
        }
    }

    static Optional<String> dispatch(DemoLedger ledger, ConsumerRecord<String, byte[]> record) {
        byte[] value = record.value();
        if (value == null) {
            return Optional.empty();
        }
        return switch (record.topic()) {
            case Topics.TRAINING_EVENTS -> valid(EventCodec.readTrainingEvent(value)).flatMap(ledger::onEvent);
            case Topics.TRAINING_ALERTS -> valid(EventCodec.readAlert(value)).flatMap(ledger::onAlert);
            case Topics.TUNER_COMMANDS -> valid(EventCodec.readCommand(value)).flatMap(ledger::onCommand);
            case Topics.TUNER_TRIALS -> valid(EventCodec.readTrial(value)).flatMap(ledger::onTrial);
            default -> Optional.empty();
        };
    }

    private static <T> Optional<T> valid(ReadResult<T> read) {
        return read.isValid() ? Optional.of(read.value()) : Optional.empty();
    }

    /**
     * A consumer of the contract topics, without a group, positioned at their ends: nothing the demo starts is
     * missed, nothing older is read. The settings are the services' (read committed, TLS/SASL passed through).
     */
    static KafkaConsumer<String, byte[]> consumer(KafkaSettings kafka) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null, "trainwatch-demo"),
                new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : TOPICS) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, KAFKA_WAIT);
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException("topic " + topic + " does not exist on " + kafka.bootstrapServers()
                            + " (is the stack up?)");
                }
                infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end now: nothing the demo starts is missed
            return consumer;
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** The tuner's text view of a study (leaderboard, preflight steps), or null when it does not answer. */
    private String text(String id) {
        try {
            Rest.Answer a = tuner.tryGet("/studies/" + Rest.segment(id) + "/text?decisions=0");
            return a.status() == 200 ? a.body() : null;
        } catch (IOException | CliException e) {
            return null;
        }
    }

    private String studyStatus(String id) {
        try {
            Rest.Answer a = tuner.tryGet("/studies/" + Rest.segment(id));
            JsonNode j = a.status() == 200 ? a.json() : null;
            return j == null ? "unknown" : j.path("status").asText("unknown");
        } catch (IOException | CliException e) {
            return "unknown";
        }
    }

    private void say(String format, Object... args) {
        say(String.format(Locale.ROOT, format, args));
    }

    private void say(String line) {
        terminal.out().println(LocalTime.now().format(CLOCK) + "  " + line);
        terminal.out().flush();
    }
}
