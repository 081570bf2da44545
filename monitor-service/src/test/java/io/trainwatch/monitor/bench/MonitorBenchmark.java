package io.trainwatch.monitor.bench;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunObserver;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.engine.RunStateCodec;
import io.trainwatch.monitor.stream.MonitorStreams;
import io.trainwatch.monitor.stream.MonitorTopology;
import io.trainwatch.monitor.support.TestConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monitor's figures over a real KRaft broker, printed, not asserted against targets: sustained events/s
 * of the monitor (exactly-once) against a bare consumer that only deserializes the same topic, in
 * {@code bench.rounds} alternated passes (medians and their ratio, with the load average and CPU seconds of
 * each pass); detection latency p50/p99 from event produce to alert with 1,000 concurrent runs; state bytes
 * per run. Run: {@code mvn -B -o -pl events,monitor-service test -Dtest=MonitorBenchmark -DexcludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false -Dbench.broker=separate -Dbench.warmup=2} (the monitor README lists the
 * other options and the figures).
 *
 * <p>The broker: {@code -Dbench.broker=in-process} (default: {@link TestKafka}, in this JVM, so its CPU counts
 * with the clients'), {@code separate} (the {@code local-kafka} module's {@code LocalKafka} main in its own
 * JVM, as {@code ./trainwatch up} runs it; needs {@code mvn -o -q -pl local-kafka package -DskipTests}), or an
 * address {@code host:port} of a broker already running.
 */
@Tag("slow")
class MonitorBenchmark {

    static final int RUNS = 1000;
    static final int EVENTS = Integer.getInteger("bench.events", 300_000);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    /** Rounds first run and left out of the medians: the JIT compiles the hot paths during them. */
    static final int WARMUP = Integer.getInteger("bench.warmup", 1);
    static final String BROKER = System.getProperty("bench.broker", "in-process");
    /** {@code view} adds the service's MonitorView (metrics per run) to the throughput passes. */
    static final String OBSERVER = System.getProperty("bench.observer", "none");
    /** Seconds of each latency pass (at least 60 steps per run). */
    static final int LATENCY_SECONDS = Integer.getInteger("bench.latency-seconds", 15);
    // Also -Dbench.latency-rates=5000,10000,20000,40000 (events/s of the latency passes).

    private static String servers;
    private static Process brokerProcess;

    @Test
    void printsTheFigures() throws Exception {
        servers = startBroker();
        try {
            figures();
        } finally {
            if (brokerProcess != null) {
                brokerProcess.destroy();
                brokerProcess.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    private void figures() throws Exception {
        MonitorConfig config = TestConfig.with(overrides());
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String topic = createTopic("bench-events-" + suffix, 6);
        createTopic("bench-alerts-" + suffix, 3);
        createTopic("bench-dlq-" + suffix, 1);

        // 1. The same records for both readers: step events of RUNS runs, round-robin, ~600 bytes each.
        long produceStart = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            Random random = new Random(1);
            for (int i = 0; i < EVENTS; i++) {
                int run = i % RUNS;
                long step = i / RUNS;
                byte[] key = ("bench-" + run).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key, EventCodec.write(step("bench-" + run, step,
                        1.6 * Math.exp(-step / 200.0) * Math.exp(0.1 * random.nextGaussian()), random))));
            }
            producer.flush();
        }
        double produceSeconds = (System.nanoTime() - produceStart) / 1e9;

        // 2. and 3. Alternated passes over the same topic: a bare consumer that only deserializes, then the
        // monitor (exactly-once) from the start of the topic, each with its own group.
        Map<String, Integer> stateBytes = new ConcurrentHashMap<>();
        List<Double> bareRates = new ArrayList<>();
        List<Double> monitorRates = new ArrayList<>();
        StringBuilder passes = new StringBuilder();
        for (int round = 1 - WARMUP; round <= ROUNDS; round++) {
            Pass bare = bare(topic, "bench-bare-" + round + "-" + suffix, config.streams().threads());
            Pass monitor = monitor(config, topic, suffix, "bench-tput-" + round + "-" + suffix, stateBytes);
            if (round > 0) {
                bareRates.add(bare.rate());
                monitorRates.add(monitor.rate());
            }
            passes.append(String.format((round > 0 ? "round %d:" : "warm-up %d:") + "            bare %,.0f events/s [%s], monitor %,.0f events/s [%s] (%.0f %%)%n",
                    round, bare.rate(), bare.cpu(), monitor.rate(), monitor.cpu(), 100 * monitor.rate() / bare.rate()));
        }
        double bareMedian = median(bareRates);
        double monitorMedian = median(monitorRates);

        // 4. Latency: RUNS concurrent runs stepping at a steady rate; each run's loss turns NaN at a random
        // step, which must raise divergence at once. Produce time = record timestamp; alert time = forward.
        StringBuilder latencyLines = new StringBuilder();
        int latencyPass = 0;
        for (String rate : System.getProperty("bench.latency-rates", "5000,10000,20000,40000").split(",")) {
            if (rate.isBlank()) {
                continue;
            }
            int ratePerSecond = Integer.parseInt(rate.trim());
            Latencies l = latency(config, suffix, ratePerSecond, latencyPass++);
            latencyLines.append(String.format("detection latency:   p50 %d ms, p99 %d ms, max %d ms over %d divergence alerts"
                            + " (%d concurrent runs at %,d events/s; produce -> alert produced)%n",
                    pct(l.forwarded, 0.5), pct(l.forwarded, 0.99), max(l.forwarded), l.forwarded.size(), RUNS,
                    ratePerSecond));
            latencyLines.append(String.format("                     p50 %d ms, p99 %d ms, max %d ms over %d alerts"
                            + " read by a read_committed consumer (after the transaction's commit)%n",
                    pct(l.readable, 0.5), pct(l.readable, 0.99), max(l.readable), l.readable.size()));
            latencyLines.append(String.format("                     commits (ms, per stream thread):%s%n", l.commits()));
        }

        // 5. State bytes per run: measured in the stream, and for a 5,000-step run through the engine alone.
        RunMonitor engine = new RunMonitor(config);
        RunState longRun = engine.newState("a-run-id-of-typical-length-0123456789");
        Random random = new Random(3);
        for (int s = 0; s < 5000; s++) {
            engine.process(longRun, step(longRun.runId, s, 1.6 * Math.exp(-s / 500.0), random));
        }
        double meanState = stateBytes.values().stream().mapToInt(Integer::intValue).average().orElse(Double.NaN);

        StringBuilder out = new StringBuilder("\n=== monitor-service benchmark (" + Runtime.getRuntime().availableProcessors()
                + " cores, broker " + BROKER + " on " + servers + ", " + EVENTS + " step events of " + RUNS + " runs, "
                + ROUNDS + " alternated rounds after " + WARMUP + " warm-up, observer " + OBSERVER
                + (overrides().isEmpty() ? "" : ", " + overrides())
                + ") ===\n");
        out.append(String.format("produce:             %,.0f events/s (setup)%n", EVENTS / produceSeconds));
        out.append(passes);
        out.append(String.format("bare consumer:       %,.0f events/s median (poll + EventCodec.readTrainingEvent; %d consumer%s)%n",
                bareMedian, config.streams().threads(), config.streams().threads() == 1 ? "" : "s"));
        out.append(String.format("monitor (EOS v2):    %,.0f events/s median, from its first event (%.0f %% of bare; %d stream thread%s, commit every %d ms)%n",
                monitorMedian, 100 * monitorMedian / bareMedian, config.streams().threads(),
                config.streams().threads() == 1 ? "" : "s", config.streams().commitInterval().toMillis()));
        out.append(latencyLines);
        out.append(String.format("state per run:       %.0f bytes mean in the stream, %d bytes after 5,000 steps%n",
                meanState, RunStateCodec.write(longRun).length));
        System.out.println(out);
        assertThat(latencyLines).contains("p99");
    }

    /** Produce -> alert latencies, sorted: when the monitor forwards the alert, and when a consumer reads it. */
    record Latencies(List<Long> forwarded, List<Long> readable, String commits) {
    }

    /** Kafka Streams' own commit timing per stream thread (a thread waits for the broker while it commits). */
    private static String commitLatency(KafkaStreams streams) {
        StringBuilder out = new StringBuilder();
        streams.metrics().forEach((name, metric) -> {
            if (name.group().equals("stream-thread-metrics") && (name.name().equals("commit-latency-avg")
                    || name.name().equals("commit-latency-max") || name.name().equals("commit-rate"))) {
                Object v = metric.metricValue();
                out.append(String.format(" %s=%.1f", name.name(), v instanceof Number n ? n.doubleValue() : Double.NaN));
            }
        });
        return out.toString();
    }

    private static long max(List<Long> sorted) {
        return sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1);
    }

    private static Latencies latency(MonitorConfig config, String suffix, int ratePerSecond, int pass) throws Exception {
        String name = ratePerSecond + "-" + pass + "-" + suffix;
        String latencyTopic = createTopic("bench-latency-" + name, 6);
        String alertsTopic = createTopic("bench-latency-alerts-" + name, 3);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Long> readable = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
        StringBuilder commits = new StringBuilder();
        // What a user of training.alerts sees: under exactly-once an alert is readable once its transaction commits.
        Thread reader = new Thread(() -> {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-latency-reader-" + name, c)) {
                consumer.subscribe(List.of(alertsTopic));
                while (reading.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                        Alert alert = EventCodec.readAlert(r.value()).value();
                        if (alert != null && alert.detector().equals("divergence") && alert.status().equals(Alert.FIRING)) {
                            readable.add(System.currentTimeMillis() - alert.timestamp().toEpochMilli());
                        }
                    }
                }
            }
        }, "bench-alert-reader");
        reader.start();
        RunObserver timing = new RunObserver() {
            @Override
            public void alerted(Alert alert) {
                if (alert.detector().equals("divergence") && alert.status().equals(Alert.FIRING)) {
                    latencies.add(System.currentTimeMillis() - alert.timestamp().toEpochMilli());
                }
            }
        };
        KafkaStreams latencyStreams = start(config, timing, latencyTopic, alertsTopic,
                "bench-dlq-" + suffix, "bench-latency-" + name);
        // Every run steps for LATENCY_SECONDS at the given rate and diverges once, at a random step after 20: the
        // 1,000 alerts are spread over the pass, so that its p99 is not one hiccup of the machine (60 steps at
        // 20,000 events/s put every alert within 1.75 s).
        int steps = Math.max(60, (int) ((long) ratePerSecond * LATENCY_SECONDS / RUNS));
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            while (latencyStreams.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(50);
            }
            Random random = new Random(2);
            int[] nanAt = new int[RUNS];
            for (int r = 0; r < RUNS; r++) {
                nanAt[r] = 20 + random.nextInt(steps - 25);
            }
            long start = System.nanoTime();
            long sent = 0;
            for (int step = 0; step < steps; step++) {
                for (int r = 0; r < RUNS; r++) {
                    // Parked, not spun: a spinning producer took one of the two cores from the monitor.
                    long wait = start + sent * 1_000_000_000L / ratePerSecond - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    double loss = step == nanAt[r] ? Double.NaN : 1.0;
                    long now = System.currentTimeMillis();
                    StepEvent e = new StepEvent(Contract.SCHEMA_VERSION, "lat-" + r, Instant.ofEpochMilli(now), null,
                            null, step, 0, loss, 0.5, 0.01, 1.0, layers(random), null, null, 1.0, 1000.0);
                    producer.send(new ProducerRecord<>(latencyTopic, null, now,
                            ("lat-" + r).getBytes(StandardCharsets.UTF_8), EventCodec.write(e)));
                    sent++;
                }
            }
            producer.flush();
            long deadline = System.currentTimeMillis() + 30_000;
            while ((latencies.size() < RUNS || readable.size() < RUNS) && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            commits.append(commitLatency(latencyStreams));
        } finally {
            latencyStreams.close(Duration.ofSeconds(10));
            reading.set(false);
            reader.join(10_000);
        }
        List<Long> forwarded = new ArrayList<>(latencies);
        Collections.sort(forwarded);
        List<Long> read = new ArrayList<>(readable);
        Collections.sort(read);
        return new Latencies(forwarded, read, commits.toString());
    }

    /** One pass over the topic: its rate and what it cost (CPU seconds of this JVM and of the broker, load). */
    record Pass(double rate, String cpu) {
    }

    /**
     * {@code threads} consumers in one group (as many as the monitor's stream threads, so that both use the same
     * parallelism), from the first record read until every event was read and decoded.
     */
    private static Pass bare(String topic, String group, int threads) throws InterruptedException {
        AtomicLong count = new AtomicLong();
        AtomicLong firstSeen = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread reader = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = consumer(group)) {
                    consumer.subscribe(List.of(topic));
                    while (count.get() < EVENTS) {
                        int valid = 0;
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            if (EventCodec.readTrainingEvent(r.value()).isValid()) {
                                valid++;
                            }
                        }
                        if (valid > 0) {
                            firstSeen.compareAndSet(0, System.nanoTime());
                            count.addAndGet(valid);
                        }
                    }
                }
            }, "bench-bare-" + t);
            reader.start();
            readers.add(reader);
        }
        while (firstSeen.get() == 0) {
            Thread.sleep(1);
        }
        Cpu cpu = Cpu.start();
        for (Thread reader : readers) {
            reader.join();
        }
        return new Pass(EVENTS / ((System.nanoTime() - firstSeen.get()) / 1e9), cpu.stop());
    }

    private static Pass monitor(MonitorConfig config, String topic, String suffix, String appId,
                                Map<String, Integer> stateBytes) throws InterruptedException {
        AtomicLong processed = new AtomicLong();
        // -Dbench.observer=view: the service's own observer too (per-run gauges, Prometheus registry, timers).
        RunObserver view = OBSERVER.equals("view") ? new io.trainwatch.monitor.api.MonitorView(
                new io.micrometer.prometheus.PrometheusMeterRegistry(
                        io.micrometer.prometheus.PrometheusConfig.DEFAULT), config) : RunObserver.NONE;
        RunObserver counting = new RunObserver() {
            @Override
            public void processed(TrainingEvent event, RunState state, long nanos) {
                view.processed(event, state, nanos);
                if (processed.incrementAndGet() % 97 == 0) {
                    stateBytes.put(state.runId, RunStateCodec.write(state).length);
                }
            }

            @Override
            public void alerted(Alert alert) {
                view.alerted(alert);
            }
        };
        KafkaStreams streams = start(config, counting, topic, "bench-alerts-" + suffix, "bench-dlq-" + suffix, appId);
        try {
            while (processed.get() == 0) {
                Thread.sleep(1);
            }
            // From the first event processed: the start-up (group join, state restore) is not throughput.
            long firstSeen = System.nanoTime();
            Cpu cpu = Cpu.start();
            while (processed.get() < EVENTS) {
                Thread.sleep(5);
            }
            return new Pass(EVENTS / ((System.nanoTime() - firstSeen) / 1e9), cpu.stop());
        } finally {
            streams.close(Duration.ofSeconds(10));
        }
    }

    /** CPU seconds of this JVM and of a separate broker over an interval, and the load average at its end. */
    private record Cpu(long jvmNanos, long brokerNanos) {
        static Cpu start() {
            return new Cpu(jvmCpu(), brokerCpu());
        }

        String stop() {
            String broker = brokerProcess == null ? "broker in this JVM"
                    : String.format("broker %.1f s", (brokerCpu() - brokerNanos) / 1e9);
            return String.format("cpu: this JVM %.1f s, %s; load %s", (jvmCpu() - jvmNanos) / 1e9, broker, load());
        }

        private static long jvmCpu() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }

        private static long brokerCpu() {
            return brokerProcess == null ? 0 : brokerProcess.toHandle().info().totalCpuDuration()
                    .map(Duration::toNanos).orElse(0L);
        }

        private static String load() {
            try {
                return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
            } catch (java.io.IOException e) {
                return "?";
            }
        }
    }

    /** {@code -Dbench.config=trainwatch.monitor.streams.commit-interval=PT1S,...}: settings to compare. */
    private static Map<String, String> overrides() {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String pair : System.getProperty("bench.config", "").split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                overrides.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        return overrides;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The broker of {@code bench.broker}: in this JVM, a separate LocalKafka JVM, or one at an address. */
    private static String startBroker() throws Exception {
        if (BROKER.equals("in-process")) {
            return TestKafka.bootstrapServers();
        }
        if (!BROKER.equals("separate")) {
            return BROKER;
        }
        java.nio.file.Path module = java.nio.file.Path.of("..", "local-kafka", "target").toAbsolutePath().normalize();
        java.nio.file.Path jar;
        try (var files = java.nio.file.Files.list(module)) {
            jar = files.filter(f -> f.getFileName().toString().matches("local-kafka-.*(?<!-sources|-tests)\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException(
                            "local-kafka is not packaged: mvn -o -q -pl local-kafka package -DskipTests"));
        }
        int port;
        int controllerPort;
        try (var a = new java.net.ServerSocket(0); var b = new java.net.ServerSocket(0)) {
            port = a.getLocalPort();
            controllerPort = b.getLocalPort();
        }
        java.nio.file.Path data = java.nio.file.Files.createTempDirectory("bench-kafka-");
        // As ./trainwatch up starts it (start_kafka): the same heap, class path and main.
        List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms128m", "-Xmx512m"));
        // -Dbench.broker-jvm="-XX:StartFlightRecording=filename=/tmp/broker.jfr": to profile the broker.
        for (String arg : System.getProperty("bench.broker-jvm", "").split(" ")) {
            if (!arg.isBlank()) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", jar + java.io.File.pathSeparator + module.resolve("lib") + "/*",
                "io.trainwatch.kafka.LocalKafka", "--data-dir", data.toString(), "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--controller-port", String.valueOf(controllerPort)));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        brokerProcess = pb.start();
        var lines = new java.io.BufferedReader(new java.io.InputStreamReader(brokerProcess.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.startsWith("Kafka ready on ")) {
                Thread drain = new Thread(() -> {
                    try {
                        while (lines.readLine() != null) {
                            // drained so that the broker never blocks on a full pipe
                        }
                    } catch (java.io.IOException ignored) {
                        // the broker ended
                    }
                }, "bench-broker-output");
                drain.setDaemon(true);
                drain.start();
                return "127.0.0.1:" + port;
            }
        }
        throw new IllegalStateException("the separate broker ended before it was ready");
    }

    private static String createTopic(String name, int partitions) throws Exception {
        if (BROKER.equals("in-process")) {
            return TestKafka.createTopic(name, partitions);
        }
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", servers))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(name, partitions, (short) 1)))
                    .all().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        return name;
    }

    private static long pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static Map<String, Double> layers(Random random) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int l = 0; l < 4; l++) {
            m.put("layer" + l, 0.5 * Math.exp(0.3 * random.nextGaussian()));
        }
        return m;
    }

    private static StepEvent step(String runId, long step, double loss, Random random) {
        Map<String, Double> g = layers(random);
        Map<String, Double> u = new LinkedHashMap<>();
        g.forEach((k, v) -> u.put(k, v * 1e-3));
        return new StepEvent(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null, step, (int) (step / 50), loss,
                0.5, 1e-3, 1.0, g, g, u, 1.3, 25000.0);
    }

    private static KafkaStreams start(MonitorConfig config, RunObserver observer, String in, String alerts, String dlq,
                                      String appId) {
        var topology = MonitorTopology.build(new RunMonitor(config), observer, Duration.ofHours(1),
                Duration.ofMinutes(1), in, alerts, dlq);
        Properties props = MonitorStreams.properties(Map.of("bootstrap.servers", servers),
                config.streams());
        props.put("application.id", appId);
        props.put("state.dir", "target/bench-state/" + appId);
        // -Dbench.streams=producer.compression.type=lz4,...: Kafka Streams settings to compare.
        for (String pair : System.getProperty("bench.streams", "").split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                props.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.start();
        return streams;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return new KafkaProducer<>(p);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String group) {
        return consumer(group, Map.of());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String group, Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(extra);
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return new KafkaConsumer<>(c);
    }
}
