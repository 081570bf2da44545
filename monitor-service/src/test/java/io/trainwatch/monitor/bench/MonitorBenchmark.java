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
 * The monitor's figures over the real (in-process KRaft) broker, printed, not asserted against targets:
 * sustained events/s of the monitor (exactly-once) against a bare consumer that only deserializes the
 * same topic; detection latency p50/p99 from event produce to alert produce with 1,000 concurrent runs;
 * state bytes per run. Run: {@code mvn -B -o -pl monitor-service verify -Dtest=MonitorBenchmark -DexcludedGroups=none}.
 */
@Tag("slow")
class MonitorBenchmark {

    static final int RUNS = 1000;
    static final int EVENTS = Integer.getInteger("bench.events", 300_000);

    @Test
    void printsTheFigures() throws Exception {
        MonitorConfig config = TestConfig.defaults();
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String topic = TestKafka.createTopic("bench-events-" + suffix, 6);
        TestKafka.createTopic("bench-alerts-" + suffix, 3);
        TestKafka.createTopic("bench-dlq-" + suffix, 1);

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

        // 2. A bare consumer that only deserializes.
        long bareStart = System.nanoTime();
        long bareCount = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer("bench-bare-" + suffix)) {
            consumer.subscribe(List.of(topic));
            while (bareCount < EVENTS) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (EventCodec.readTrainingEvent(r.value()).isValid()) {
                        bareCount++;
                    }
                }
            }
        }
        double bareSeconds = (System.nanoTime() - bareStart) / 1e9;

        // 3. The monitor, exactly-once, from the start of the same topic.
        AtomicLong processed = new AtomicLong();
        Map<String, Integer> stateBytes = new ConcurrentHashMap<>();
        RunObserver counting = new RunObserver() {
            @Override
            public void processed(TrainingEvent event, RunState state, long nanos) {
                if (processed.incrementAndGet() % 97 == 0) {
                    stateBytes.put(state.runId, RunStateCodec.write(state).length);
                }
            }
        };
        long monitorStart = System.nanoTime();
        KafkaStreams streams = start(config, counting, topic, "bench-alerts-" + suffix, "bench-dlq-" + suffix,
                "bench-tput-" + suffix);
        long firstSeen = 0;
        try {
            while (processed.get() < EVENTS) {
                if (firstSeen == 0 && processed.get() > 0) {
                    firstSeen = System.nanoTime();
                }
                Thread.sleep(5);
            }
        } finally {
            streams.close(Duration.ofSeconds(10));
        }
        long monitorEnd = System.nanoTime();
        double monitorSeconds = (monitorEnd - monitorStart) / 1e9;
        double monitorSteady = (monitorEnd - firstSeen) / 1e9;

        // 4. Latency: RUNS concurrent runs stepping at a steady rate; each run's loss turns NaN at a random
        // step, which must raise divergence at once. Produce time = record timestamp; alert time = forward.
        StringBuilder latencyLines = new StringBuilder();
        for (int ratePerSecond : new int[] {5_000, 10_000, 20_000}) {
            List<Long> sorted = latency(config, suffix, ratePerSecond);
            latencyLines.append(String.format("detection latency:   p50 %d ms, p99 %d ms, max %d ms over %d divergence alerts"
                            + " (%d concurrent runs at %,d events/s; produce -> alert forwarded)%n",
                    pct(sorted, 0.5), pct(sorted, 0.99), sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1),
                    sorted.size(), RUNS, ratePerSecond));
        }

        // 5. State bytes per run: measured in the stream, and for a 5,000-step run through the engine alone.
        RunMonitor engine = new RunMonitor(config);
        RunState longRun = engine.newState("a-run-id-of-typical-length-0123456789");
        Random random = new Random(3);
        for (int s = 0; s < 5000; s++) {
            engine.process(longRun, step(longRun.runId, s, 1.6 * Math.exp(-s / 500.0), random));
        }
        double meanState = stateBytes.values().stream().mapToInt(Integer::intValue).average().orElse(Double.NaN);

        double bareRate = EVENTS / bareSeconds;
        double monitorRate = EVENTS / monitorSeconds;
        StringBuilder out = new StringBuilder("\n=== monitor-service benchmark (" + Runtime.getRuntime().availableProcessors()
                + " cores, in-process KRaft broker, " + EVENTS + " step events of " + RUNS + " runs) ===\n");
        out.append(String.format("produce:             %,.0f events/s (setup)%n", EVENTS / produceSeconds));
        out.append(String.format("bare consumer:       %,.0f events/s (poll + EventCodec.readTrainingEvent)%n", bareRate));
        out.append(String.format("monitor (EOS v2):    %,.0f events/s incl. start-up, %,.0f events/s from the first event"
                + " (%.0f %% of bare)%n", monitorRate, EVENTS / monitorSteady, 100 * (EVENTS / monitorSteady) / bareRate));
        out.append(latencyLines);
        out.append(String.format("state per run:       %.0f bytes mean in the stream, %d bytes after 5,000 steps%n",
                meanState, RunStateCodec.write(longRun).length));
        System.out.println(out);
        assertThat(latencyLines).contains("p99");
    }

    private static List<Long> latency(MonitorConfig config, String suffix, int ratePerSecond) throws Exception {
        String latencyTopic = TestKafka.createTopic("bench-latency-" + ratePerSecond + "-" + suffix, 6);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        RunObserver timing = new RunObserver() {
            @Override
            public void alerted(Alert alert) {
                if (alert.detector().equals("divergence") && alert.status().equals(Alert.FIRING)) {
                    latencies.add(System.currentTimeMillis() - alert.timestamp().toEpochMilli());
                }
            }
        };
        KafkaStreams latencyStreams = start(config, timing, latencyTopic, "bench-alerts-" + suffix,
                "bench-dlq-" + suffix, "bench-latency-" + ratePerSecond + "-" + suffix);
        int steps = 60;
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
                    long due = start + sent * 1_000_000_000L / ratePerSecond;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
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
            while (latencies.size() < RUNS && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            latencyStreams.close(Duration.ofSeconds(10));
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return sorted;
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
        Properties props = MonitorStreams.properties(Map.of("bootstrap.servers", TestKafka.bootstrapServers()),
                config.streams());
        props.put("application.id", appId);
        props.put("state.dir", "target/bench-state/" + appId);
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.start();
        return streams;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return new KafkaProducer<>(p);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return new KafkaConsumer<>(c);
    }
}
