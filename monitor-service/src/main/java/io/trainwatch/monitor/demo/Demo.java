package io.trainwatch.monitor.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ./trainwatch demo}'s driver, run against a stack that is up: starts every trainer scenario as a one-trial
 * study, a small search and a study that runs CS231n's tuning procedure (preflight checks, then the search) on the tuner,
 * prints runs, alerts, tuner actions and preflight results as they happen (read from Kafka and the tuner),
 * then a summary table. Exit status 0 only when every scenario got its expected diagnosis and no healthy run got an
 * alert; 1 otherwise (or on timeout); 2 for bad arguments or an unreachable stack. A plain main: no Quarkus start-up.
 *
 * <p>Usage: {@code Demo [--trainer URL] [--tuner URL] [--monitor URL] [--bootstrap HOST:PORT] [--timeout SECONDS]
 * [--only NAME,NAME] [--no-search]} ({@code --no-search}: the scenarios only); defaults from {@code TRAINWATCH_*_URL} and {@code KAFKA_BOOTSTRAP_SERVERS}.
 */
public final class Demo {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final List<String> TOPICS = List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS,
            Topics.TUNER_COMMANDS, Topics.TUNER_TRIALS);
    /** Alerts for the last events arrive a moment after the run ends: once everything finished, wait this long without news. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String trainer;
    private final String tuner;
    private final String monitor;
    private final String token = System.getenv("TRAINWATCH_API_TOKEN");

    private Demo(String trainer, String tuner, String monitor) {
        this.trainer = trainer;
        this.tuner = tuner;
        this.monitor = monitor;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        String trainer = env.getOrDefault("TRAINWATCH_TRAINER_URL", "http://127.0.0.1:8081");
        String tuner = env.getOrDefault("TRAINWATCH_TUNER_URL", "http://127.0.0.1:8083");
        String monitor = env.getOrDefault("TRAINWATCH_MONITOR_URL", "http://127.0.0.1:8082");
        String bootstrap = env.getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
        long timeoutS = 480;
        List<String> only = List.of();
        boolean studies = true;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--trainer" -> trainer = args[++i];
                    case "--tuner" -> tuner = args[++i];
                    case "--monitor" -> monitor = args[++i];
                    case "--bootstrap" -> bootstrap = args[++i];
                    case "--timeout" -> timeoutS = Long.parseLong(args[++i]);
                    case "--only" -> only = Arrays.stream(args[++i].split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
                    case "--no-search" -> studies = false;
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("demo: " + e.getMessage());
            System.err.println("usage: demo [--trainer URL] [--tuner URL] [--monitor URL] [--bootstrap HOST:PORT] "
                    + "[--timeout SECONDS] [--only NAME,NAME] [--no-search]");
            System.exit(2);
        }
        System.exit(new Demo(trainer, tuner, monitor).run(bootstrap, Duration.ofSeconds(timeoutS), only, studies));
    }

    private int run(String bootstrap, Duration timeout, List<String> only, boolean studies) throws Exception {
        long t0 = System.nanoTime();
        JsonNode scenarios;
        try {
            scenarios = EventCodec.MAPPER.readTree(get(trainer + "/scenarios"));
        } catch (IOException e) {
            System.err.println("demo: the trainer does not answer at " + trainer + "/scenarios: " + e.getMessage());
            return 2;
        }
        String suffix = Long.toString(System.currentTimeMillis(), 36);
        List<DemoPlan.Study> plan = DemoPlan.studies(scenarios, suffix, only, studies);
        KafkaConsumer<String, byte[]> kafka;
        try {
            kafka = consumer(bootstrap);
        } catch (KafkaException | IllegalStateException e) {
            System.err.println("demo: Kafka is not usable at " + bootstrap + ": " + e.getMessage());
            return 2;
        }
        try (KafkaConsumer<String, byte[]> consumer = kafka) {
            long scenarioCount = plan.stream().filter(s -> s.expected() != null).count();
            say("starting %d scenario runs (one-trial studies, so the tuner steers them)%s; live page: %s/",
                    scenarioCount, studies ? ", a search of 6 trials and CS231n's tuning procedure (preflight checks, then"
                            + " a search)" : "", monitor);
            List<String> rejected = new ArrayList<>();
            for (DemoPlan.Study s : plan) {
                HttpResponse<String> r;
                try {
                    r = post(tuner + "/studies", EventCodec.MAPPER.writeValueAsString(s.request()));
                } catch (IOException e) {
                    System.err.println("demo: the tuner does not answer at " + tuner + "/studies: " + e.getMessage());
                    return 2;
                }
                if (r.statusCode() != 201) {
                    rejected.add(s.studyId());
                    say("the tuner refused study %s: HTTP %d %s", s.studyId(), r.statusCode(), r.body());
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
                    line.ifPresent(Demo::say);
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
                        ledger.onStudyText(id, text(id)).forEach(Demo::say);
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
                            post(tuner + "/studies/" + s.studyId() + "/stop?reason=demo+timed+out", "");
                        } catch (IOException e) {
                            say("could not stop study %s: %s", s.studyId(), e.getMessage());
                        }
                    }
                    break;
                }
            }
            System.out.println();
            System.out.println("Summary (" + Math.round((System.nanoTime() - t0) / 1e9) + " s):");
            System.out.print(ledger.table());
            for (String id : studyIds) {
                String text = text(id);
                System.out.println();
                System.out.print(text != null ? text : "(the leaderboard of " + id + " is not available)\n");
            }
            System.out.println();
            System.out.println("Live page: " + monitor + "/   (runs, curves, alerts and tuner actions)");
            boolean ok = !timedOut && rejected.isEmpty() && ledger.passed();
            System.out.println(ok ? "demo: every scenario got its expected diagnosis and the healthy run no alert"
                    : "demo: FAILED: " + (timedOut ? "timed out; " : "") + (rejected.isEmpty() ? "" : "studies refused; ")
                    + "see the verdict column");
            return ok ? 0 : 1;
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

    private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "trainwatch-demo");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : TOPICS) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrap + " (is the stack up?)");
            }
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now: nothing the demo starts is missed
        return consumer;
    }

    /** The tuner's text view of a study (leaderboard, preflight steps), or null when it does not answer. */
    private String text(String id) {
        try {
            return get(tuner + "/studies/" + id + "/text?decisions=0");
        } catch (IOException e) {
            return null;
        }
    }

    private String studyStatus(String id) {
        try {
            return EventCodec.MAPPER.readTree(get(tuner + "/studies/" + id)).path("status").asText("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private String get(String url) throws IOException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("HTTP " + r.statusCode() + " from " + url);
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null && !token.isBlank()) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void say(String format, Object... args) {
        say(String.format(Locale.ROOT, format, args));
    }

    private static void say(String line) {
        System.out.println(LocalTime.now().format(CLOCK) + "  " + line);
        System.out.flush();
    }
}
