package io.trainwatch.stack.reliability;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DeadLetter;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack.Service;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A corpus of hostile records against the running monitor, every class at once: not JSON, the wrong schema, optional
 * fields of the wrong type, NaN and Infinity, huge {@code layerGradientNorms}, out-of-order and duplicate steps, a
 * null key, and records of 0.5x, 0.9x and 1.0x the broker's largest message. Each class goes to the partition of a
 * valid run of its own, which follows it there (a run that diverges: a NaN loss at step 30, the monitor's at-once
 * rule). Counted per class: records sent, dead letters on {@code training.events.dlq} (rejected, and
 * {@code disposition: accepted-with-warnings}); asserted: each class is handled as the monitor's README says, every
 * valid run behind them is diagnosed, and the monitor stays ready.
 */
class ReliabilityHostileRecordsIT {

    /** Kafka's default {@code message.max.bytes} (the local broker keeps it): one record batch. */
    static final int BROKER_LIMIT = 1_048_588;
    private static final int PARTITIONS = Topics.ALL.stream().filter(t -> t.name().equals(Topics.TRAINING_EVENTS))
            .findFirst().orElseThrow().partitions();

    private final ReliabilityStack rs = ReliabilityStack.get();
    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    /** What the monitor's README promises for a class: every record rejected, warned about, or used silently. */
    enum Expect { REJECTED, WARNED, NO_LETTER, REPORTED }

    record Hostile(String cls, Expect expect, String key, byte[] value) {
    }

    @Test
    void everyClassOfHostileRecordIsHandledAndTheValidRunsBehindThemAreDiagnosed() throws Exception {
        rs.awaitAllReady(Duration.ofSeconds(120));
        Map<String, List<Hostile>> corpus = corpus();
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, rs.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * BROKER_LIMIT);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        double dlqBefore = rs.metric(Service.MONITOR, "monitor_dlq_total");
        Map<String, String> classAt = new HashMap<>(); // "partition/offset" -> class
        try (RecordTap tap = new RecordTap(rs.bootstrapServers(), true, k -> k == null || k.contains(suffix),
                Topics.TRAINING_EVENTS_DLQ, Topics.TRAINING_ALERTS);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
                     new ByteArraySerializer())) {
            long sentAt = System.nanoTime();
            for (Map.Entry<String, List<Hostile>> c : corpus.entrySet()) {
                String valid = validRun(c.getKey());
                int partition = partition(valid);
                for (Hostile h : c.getValue()) {
                    RecordMetadata m = producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, partition, h.key(),
                            h.value())).get(30, TimeUnit.SECONDS);
                    classAt.put(m.partition() + "/" + m.offset(), h.cls());
                }
                for (TrainingEvent e : divergingRun(valid)) {
                    producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, valid, EventCodec.write(e)));
                }
            }
            producer.flush();
            int[] last = {-1};
            long[] since = {System.nanoTime()};
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                boolean diagnosed = corpus.keySet().stream().allMatch(c -> diverged(tap, validRun(c)));
                int letters = tap.of(Topics.TRAINING_EVENTS_DLQ).size();
                if (letters != last[0]) {
                    last[0] = letters;
                    since[0] = System.nanoTime();
                }
                return diagnosed && System.nanoTime() - since[0] > 3_000_000_000L;
            });
            long diagnosedAt = System.nanoTime();

            Map<String, int[]> perClass = new TreeMap<>(); // sent, rejected, warned
            corpus.forEach((c, records) -> perClass.put(c, new int[]{records.size(), 0, 0}));
            int lettersOfOthers = 0;
            for (RecordTap.Rec r : tap.of(Topics.TRAINING_EVENTS_DLQ)) {
                ReadResult<DeadLetter> letter = EventCodec.readDeadLetter(r.value());
                assertThat(letter.error()).as("a dead letter is readable").isNull();
                DeadLetter l = letter.value();
                String cls = classAt.get(l.sourcePartition() + "/" + l.sourceOffset());
                if (cls == null) {
                    lettersOfOthers++;
                    continue;
                }
                boolean warned = DeadLetter.ACCEPTED_WITH_WARNINGS.equals(l.disposition());
                perClass.get(cls)[warned ? 2 : 1]++;
            }
            Map<String, Object> f = new LinkedHashMap<>();
            int sent = 0;
            int rejected = 0;
            int warned = 0;
            for (Map.Entry<String, int[]> e : perClass.entrySet()) {
                int[] v = e.getValue();
                f.put(e.getKey(), "sent " + v[0] + " dead-lettered " + v[1] + " warned " + v[2]);
                sent += v[0];
                rejected += v[1];
                warned += v[2];
            }
            f.put("total sent", sent);
            f.put("rejected", rejected);
            f.put("accepted-with-warnings", warned);
            f.put("letters of records not sent here", lettersOfOthers);
            f.put("monitor_dlq_total delta", (long) (rs.metric(Service.MONITOR, "monitor_dlq_total") - dlqBefore));
            f.put("valid runs diagnosed", corpus.keySet().stream().filter(c -> diverged(tap, validRun(c))).count()
                    + " of " + corpus.size());
            f.put("sent to all diagnosed s", ReliabilityStack.seconds(diagnosedAt - sentAt));
            f.put("monitor ready", rs.stack().isReady(Service.MONITOR));
            ReliabilityStack.report("hostile-records", f);

            for (Map.Entry<String, List<Hostile>> c : corpus.entrySet()) {
                int[] v = perClass.get(c.getKey());
                long rejectedExpected = c.getValue().stream().filter(h -> h.expect() == Expect.REJECTED).count();
                long warnedExpected = c.getValue().stream().filter(h -> h.expect() == Expect.WARNED).count();
                if (c.getValue().stream().noneMatch(h -> h.expect() == Expect.REPORTED)) {
                    assertThat(v[1]).as(c.getKey() + ": dead letters (rejected)").isEqualTo((int) rejectedExpected);
                    assertThat(v[2]).as(c.getKey() + ": warning letters").isEqualTo((int) warnedExpected);
                }
                assertThat(diverged(tap, validRun(c.getKey()))).as("the valid run behind " + c.getKey()).isTrue();
            }
            assertThat(rs.stack().isReady(Service.MONITOR)).isTrue();
        }
    }

    private String validRun(String cls) {
        return "rel-hostile-" + suffix + "-" + cls;
    }

    private String hostileRun(String cls) {
        return "rel-hostile-" + suffix + "-" + cls + "-x";
    }

    /** The partition the default partitioner gives a key (murmur2, as every Kafka client). */
    private static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    private static boolean diverged(RecordTap tap, String runId) {
        return tap.alerts().stream().anyMatch(a -> a.runId().equals(runId) && a.detector().equals("divergence")
                && Alert.FIRING.equals(a.status()));
    }

    private Map<String, List<Hostile>> corpus() {
        Map<String, List<Hostile>> c = new LinkedHashMap<>();
        String notJson = "not-json";
        c.put(notJson, List.of(
                new Hostile(notJson, Expect.REJECTED, hostileRun(notJson), bytes("{{{ not json")),
                new Hostile(notJson, Expect.REJECTED, hostileRun(notJson), new byte[]{(byte) 0xff, 0, (byte) 0xfe, 7}),
                new Hostile(notJson, Expect.REJECTED, hostileRun(notJson), new byte[0])));
        String schema = "wrong-schema";
        String x = hostileRun(schema);
        c.put(schema, List.of(
                new Hostile(schema, Expect.REJECTED, x, bytes("{\"hello\": \"world\"}")),
                new Hostile(schema, Expect.REJECTED, x, bytes("[1, 2, 3]")),
                new Hostile(schema, Expect.REJECTED, x, bytes("{\"schemaVersion\":1,\"type\":\"bogus\",\"runId\":\"" + x + "\"}")),
                new Hostile(schema, Expect.REJECTED, x, bytes("{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"" + x
                        + "\",\"timestamp\":\"" + Instant.now() + "\"}")),
                new Hostile(schema, Expect.REJECTED, x, bytes(step(x, 0, "1.0").replace("\"step\":0", "\"step\":\"zero\"")))));
        String types = "wrong-optional-types";
        String t = hostileRun(types);
        c.put(types, List.of(
                new Hostile(types, Expect.NO_LETTER, t, EventCodec.write(started(t))),
                new Hostile(types, Expect.WARNED, t, bytes(step(t, 0, "1.5").replace("\"accuracy\":0.5", "\"accuracy\":\"high\""))),
                new Hostile(types, Expect.WARNED, t, bytes(step(t, 1, "1.5").replace("\"gradientNorm\":1.0", "\"gradientNorm\":[1]"))),
                new Hostile(types, Expect.WARNED, t, bytes(step(t, 2, "1.5").replace("{\"layer0\":1.0,\"layer1\":0.5}", "\"big\"")))));
        String nan = "nan-infinity";
        String n = hostileRun(nan);
        c.put(nan, List.of(
                new Hostile(nan, Expect.NO_LETTER, n, EventCodec.write(started(n))),
                new Hostile(nan, Expect.NO_LETTER, n, bytes(step(n, 0, "\"Infinity\""))),
                new Hostile(nan, Expect.NO_LETTER, n, bytes(step(n, 1, "\"-Infinity\"").replace("\"gradientNorm\":1.0", "\"gradientNorm\":\"NaN\""))),
                new Hostile(nan, Expect.NO_LETTER, n, bytes(step(n, 2, "\"NaN\"")))));
        String huge = "huge-layer-norms";
        String h = hostileRun(huge);
        c.put(huge, List.of(
                new Hostile(huge, Expect.NO_LETTER, h, EventCodec.write(started(h))),
                new Hostile(huge, Expect.REPORTED, h, bytes(step(h, 0, "1.5").replace("{\"layer0\":1.0,\"layer1\":0.5}", layers(1_500)))),
                new Hostile(huge, Expect.REJECTED, h, bytes(step(h, 1, "1.5").replace("{\"layer0\":1.0,\"layer1\":0.5}", layers(20_000))))));
        String order = "out-of-order-and-duplicate-steps";
        String o = hostileRun(order);
        List<Hostile> steps = new ArrayList<>();
        steps.add(new Hostile(order, Expect.NO_LETTER, o, EventCodec.write(started(o))));
        for (int s : new int[]{0, 1, 2, 3, 4, 5, 5, 3, 0, 6, 4, 6}) {
            steps.add(new Hostile(order, Expect.NO_LETTER, o, bytes(step(o, s, Double.toString(1.6 - 0.01 * s)))));
        }
        c.put(order, steps);
        String nullKey = "null-key";
        c.put(nullKey, List.of(
                new Hostile(nullKey, Expect.REPORTED, null, bytes(step(hostileRun(nullKey), 0, "1.5"))),
                new Hostile(nullKey, Expect.REJECTED, null, bytes("{{{ not json either"))));
        String size = "broker-limit-sizes";
        List<Hostile> sizes = new ArrayList<>();
        for (int bytes : new int[]{BROKER_LIMIT / 2, (int) (BROKER_LIMIT * 0.9), BROKER_LIMIT - 256}) {
            byte[] v = new byte[bytes];
            Arrays.fill(v, (byte) ' ');
            byte[] head = ("{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"" + hostileRun(size)
                    + "\",\"layerGradientNorms\":{").getBytes(StandardCharsets.UTF_8);
            System.arraycopy(head, 0, v, 0, head.length);
            sizes.add(new Hostile(size, Expect.REJECTED, hostileRun(size), v));
        }
        c.put(size, sizes);
        return c;
    }

    /** A step event as the contract writes it, with the loss given as JSON (a number or a quoted NaN). */
    private static String step(String runId, long step, String loss) {
        return "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"" + runId + "\",\"timestamp\":\"" + Instant.now()
                + "\",\"step\":" + step + ",\"epoch\":0,\"loss\":" + loss + ",\"accuracy\":0.5,\"learningRate\":0.01"
                + ",\"gradientNorm\":1.0,\"layerGradientNorms\":{\"layer0\":1.0,\"layer1\":0.5}}";
    }

    private static Map<String, Double> twoLayers() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("layer0", 1.0);
        m.put("layer1", 0.5);
        return m;
    }

    private static String layers(int n) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("\"layer").append(i).append("\":").append(1.0 / (i + 1));
        }
        return b.append('}').toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RunStarted started(String runId) {
        return new RunStarted(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null,
                new RunConfig(null, "simulated, 5 classes", 5, "cross-entropy", List.of(), "sgd", 0.01, 32,
                        null, 0.0, 0.0, 7L), "simulated", "none", null);
    }

    /** A valid run that trains 30 steps and then gets a NaN loss: the monitor calls divergence at once. */
    private static List<TrainingEvent> divergingRun(String runId) {
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(runId));
        for (int s = 0; s <= 30; s++) {
            double loss = s == 30 ? Double.NaN : 1.6 - 0.01 * s;
            events.add(new StepEvent(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null, s, 0, loss, 0.5, 0.01,
                    1.0, twoLayers(), null, null, 5.0, null));
        }
        events.add(new RunFinished(Contract.SCHEMA_VERSION, runId, Instant.now(), null, null, RunFinished.DIVERGED,
                "loss is NaN", 30, 0L));
        return events;
    }
}
