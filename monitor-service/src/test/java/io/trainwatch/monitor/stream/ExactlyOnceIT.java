package io.trainwatch.monitor.stream;

import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunObserver;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.SyntheticRuns;
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
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two monitor instances over the real test broker, exactly-once: the first is killed halfway through
 * every run, the second takes its partitions over, restores each run's detectors from the changelog and
 * finishes; the alerts on the topic (read committed) are exactly those of an uninterrupted run, none
 * missing, none duplicated.
 */
class ExactlyOnceIT {

    @Test
    void killingAnInstanceMidRunLosesAndDuplicatesNothing() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String in = TestKafka.createTopic("eos-events-" + suffix, 6);
        String alerts = TestKafka.createTopic("eos-alerts-" + suffix, 3);
        String dlq = TestKafka.createTopic("eos-dlq-" + suffix, 1);
        MonitorConfig config = TestConfig.defaults();

        // Runs of several pathologies, with their expected alerts from the engine alone.
        List<List<TrainingEvent>> runs = new ArrayList<>();
        for (long seed = 1; seed <= 2; seed++) {
            for (SyntheticRuns.Labelled l : SyntheticRuns.all(seed)) {
                runs.add(l.events());
            }
        }
        Map<String, Integer> expected = new HashMap<>();
        RunMonitor reference = new RunMonitor(config);
        for (List<TrainingEvent> run : runs) {
            RunState s = reference.newState(run.get(0).runId() + suffix);
            for (TrainingEvent e : run) {
                for (Alert a : reference.process(s, withRunId(e, suffix))) {
                    expected.merge(a.alertId() + "/" + a.status(), 1, Integer::sum);
                }
            }
        }
        assertThat(expected).hasSizeGreaterThan(20);

        AtomicLong processedByA = new AtomicLong();
        KafkaStreams a = start(config, in, alerts, dlq, suffix, "a", processedByA);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            // First half of every run, processed by A.
            long firstHalf = publish(producer, in, runs, suffix, 0, 0.5);
            await().atMost(Duration.ofSeconds(60)).until(() -> processedByA.get() >= firstHalf);
            System.out.println("A processed " + processedByA.get() + " of " + firstHalf);
            AtomicLong processedByB = new AtomicLong();
            KafkaStreams b = start(config, in, alerts, dlq, suffix, "b", processedByB);
            try {
                // The rest while the instances rebalance; A dies without a goodbye in the middle of it.
                await().atMost(Duration.ofSeconds(60)).until(() -> b.state() == KafkaStreams.State.RUNNING
                        && a.state() == KafkaStreams.State.RUNNING);
                long beforeKill = processedByA.get();
                publish(producer, in, runs, suffix, 0.5, 0.75);
                await().atMost(Duration.ofSeconds(60)).until(() -> processedByA.get() > beforeKill);
                a.close(Duration.ZERO); // while it processes: its open transaction is never committed
                publish(producer, in, runs, suffix, 0.75, 1.0);
                Map<String, Integer> got = new HashMap<>();
                try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
                    consumer.subscribe(List.of(alerts));
                    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(10)).until(() -> {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            Alert alert = EventCodec.readAlert(r.value()).value();
                            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(alert.runId());
                            got.merge(alert.alertId() + "/" + alert.status(), 1, Integer::sum);
                        }
                        return got.size() >= expected.size();
                    });
                    // A little longer, to see any duplicate that would come late.
                    long until = System.currentTimeMillis() + 2000;
                    while (System.currentTimeMillis() < until) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            Alert alert = EventCodec.readAlert(r.value()).value();
                            got.merge(alert.alertId() + "/" + alert.status(), 1, Integer::sum);
                        }
                    }
                }
                assertThat(got).isEqualTo(expected);
                assertThat(processedByB.get()).as("B took the runs over").isPositive();
            } finally {
                b.close(Duration.ofSeconds(10));
            }
        } finally {
            a.close(Duration.ofSeconds(5));
        }
    }

    private static TrainingEvent withRunId(TrainingEvent e, String suffix) {
        String json = EventCodec.writeString(e).replace("\"runId\":\"" + e.runId() + "\"",
                "\"runId\":\"" + e.runId() + suffix + "\"");
        return EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8)).value();
    }

    private static long publish(KafkaProducer<byte[], byte[]> producer, String topic, List<List<TrainingEvent>> runs,
                                String suffix, double from, double to) throws Exception {
        long n = 0;
        for (List<TrainingEvent> run : runs) {
            int start = (int) (run.size() * from);
            int end = (int) (run.size() * to);
            for (TrainingEvent e : run.subList(start, end)) {
                TrainingEvent renamed = withRunId(e, suffix);
                producer.send(new ProducerRecord<>(topic, renamed.runId().getBytes(StandardCharsets.UTF_8),
                        EventCodec.write(renamed)));
                n++;
            }
        }
        producer.flush();
        long total = 0;
        for (List<TrainingEvent> run : runs) {
            total += (int) (run.size() * to);
        }
        return total;
    }

    private static KafkaStreams start(MonitorConfig config, String in, String alerts, String dlq, String suffix,
                                      String instance, AtomicLong processed) {
        RunObserver counter = new RunObserver() {
            @Override
            public void processed(TrainingEvent event, RunState state, long nanos) {
                processed.incrementAndGet();
            }
        };
        var topology = MonitorTopology.build(new RunMonitor(config), counter, Duration.ofHours(1),
                Duration.ofMinutes(1), in, alerts, dlq);
        Properties props = MonitorStreams.properties(Map.of("bootstrap.servers", TestKafka.bootstrapServers()),
                config.streams());
        props.put("application.id", "eos-test-" + suffix);
        props.put("state.dir", "target/eos-state/" + suffix + "/" + instance);
        props.put("consumer.session.timeout.ms", 6000); // a killed instance is noticed in seconds, not 45 s
        props.put("consumer.heartbeat.interval.ms", 1000);
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setStateListener((now, before) -> System.out.printf("instance %s: %s -> %s%n", instance, before, now));
        streams.setUncaughtExceptionHandler(e -> {
            e.printStackTrace();
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .SHUTDOWN_CLIENT;
        });
        streams.start();
        return streams;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(p);
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "eos-check-" + UUID.randomUUID());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c);
    }
}
