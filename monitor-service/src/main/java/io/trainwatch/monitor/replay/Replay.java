package io.trainwatch.monitor.replay;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./trainwatch replay FILE.jsonl}: publishes recorded contract events, one JSON object per line, to
 * {@code training.events} keyed by their {@code runId}, in file order, exactly as written (the monitor
 * validates them; lines that are not valid events are reported here and sent anyway so they reach the DLQ
 * with their reason, unless {@code --skip-invalid}). A plain main: no Quarkus start-up.
 *
 * <p>Usage: {@code java -cp 'monitor-service/target/quarkus-app/lib/main/*:monitor-service/target/quarkus-app/app/*'
 * io.trainwatch.monitor.replay.Replay [--bootstrap HOST:PORT] [--topic T] [--skip-invalid] FILE.jsonl|-}.
 * Kafka client settings can also come from {@code KAFKA_BOOTSTRAP_SERVERS} and {@code KAFKA_*} variables
 * ({@code KAFKA_SECURITY_PROTOCOL} becomes {@code security.protocol}).
 */
public final class Replay {

    private Replay() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
        String topic = Topics.TRAINING_EVENTS;
        boolean skipInvalid = false;
        String file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bootstrap" -> bootstrap = args[++i];
                case "--topic" -> topic = args[++i];
                case "--skip-invalid" -> skipInvalid = true;
                case "-h", "--help" -> {
                    System.out.println("usage: replay [--bootstrap HOST:PORT] [--topic T] [--skip-invalid] FILE.jsonl|-");
                    return;
                }
                default -> file = args[i];
            }
        }
        if (file == null) {
            System.err.println("usage: replay [--bootstrap HOST:PORT] [--topic T] [--skip-invalid] FILE.jsonl|-");
            System.exit(2);
        }
        Map<String, Object> config = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("KAFKA_") && !k.equals("KAFKA_BOOTSTRAP_SERVERS")) {
                config.put(k.substring(6).toLowerCase().replace('_', '.'), v);
            }
        });
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15000);
        Result r = replay(file, topic, skipInvalid, config);
        System.out.printf("replayed %d events of %d runs to %s on %s (%d invalid lines%s)%n", r.sent, r.runs, topic,
                bootstrap, r.invalid, skipInvalid ? ", skipped" : ", sent for the DLQ");
        if (r.error != null) {
            System.err.println("error: " + r.error);
            System.exit(1);
        }
    }

    /** What a replay did. */
    public record Result(long sent, long invalid, long runs, String error) {
    }

    public static Result replay(String file, String topic, boolean skipInvalid, Map<String, Object> producerConfig)
            throws IOException, InterruptedException {
        AtomicLong sent = new AtomicLong();
        long invalid = 0;
        java.util.Set<String> runs = new java.util.HashSet<>();
        AtomicReference<String> error = new AtomicReference<>();
        try (BufferedReader in = file.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
            String line;
            long number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(bytes);
                String key = null;
                if (read.isValid()) {
                    key = read.value().runId();
                    runs.add(key);
                } else {
                    invalid++;
                    System.err.printf("line %d: %s%n", number, read.error());
                    if (skipInvalid) {
                        continue;
                    }
                }
                producer.send(new ProducerRecord<>(topic, key, bytes), (meta, e) -> {
                    if (e != null) {
                        error.compareAndSet(null, e.toString());
                    } else {
                        sent.incrementAndGet();
                    }
                });
            }
            producer.flush();
        }
        return new Result(sent.get(), invalid, runs.size(), error.get());
    }
}
