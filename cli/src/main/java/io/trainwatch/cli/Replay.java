package io.trainwatch.cli;

import io.trainwatch.client.KafkaSettings;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code trainwatch replay FILE.jsonl}: publishes recorded contract events, one JSON object per line, to
 * {@code training.events} keyed by their {@code runId}, in file order, exactly as written (the monitor validates
 * them; lines that are not valid events are reported here and sent anyway so they reach the DLQ with their reason,
 * unless {@code --skip-invalid}). The Kafka settings (address, TLS/SASL) are read as the services read them.
 */
final class Replay implements Command {

    static final String USAGE = """
            usage: trainwatch replay FILE.jsonl|- [--skip-invalid] [--topic TOPIC] [--bootstrap HOST:PORT]
            Publishes recorded contract events (one JSON object per line; - reads standard input) to training.events,
            keyed by runId, so that the monitor diagnoses a past run or a run of another framework.
              --skip-invalid        leave out lines that are not valid events (otherwise they are sent for the DLQ)
              --topic TOPIC         another topic (default training.events)
              --bootstrap HOST:PORT the broker (default KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092)
            Exit status: 0 when every line was published, 1 when the broker refused or did not take them, 2 for a bad
            argument or an unreadable file.
            Environment: KAFKA_BOOTSTRAP_SERVERS and every other KAFKA_* client setting (KAFKA_SECURITY_PROTOCOL,
            KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_LOCATION, ...), as for the services.""";

    /** How long a send may wait for the broker (metadata, buffer) before the replay gives up. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(15);

    /** What a replay did; {@code error} is null when every record was acknowledged. */
    record Result(long sent, long invalid, long runs, String error) {
    }

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public int run(List<String> arguments, Terminal t) throws CliException {
        Args args = new Args(name(), arguments);
        KafkaSettings settings = t.kafka();
        String topic = Topics.TRAINING_EVENTS;
        boolean skipInvalid = false;
        String file = null;
        while (args.hasNext()) {
            String a = args.next();
            switch (a) {
                case "--bootstrap" -> settings = settings.withBootstrapServers(args.value(a));
                case "--topic" -> topic = args.value(a);
                case "--skip-invalid" -> skipInvalid = true;
                default -> {
                    if (Args.isHelp(a)) {
                        t.out().println(USAGE);
                        return 0;
                    }
                    if ((a.startsWith("-") && !a.equals("-")) || file != null) {
                        throw args.unknown(a);
                    }
                    file = a;
                }
            }
        }
        if (file == null) {
            throw args.bad("FILE.jsonl (or - for standard input) is needed");
        }
        BufferedReader in;
        try {
            in = file.equals("-") ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw args.bad("cannot read " + file);
        }
        Result r;
        try (BufferedReader reader = in) {
            r = replay(reader, topic, skipInvalid, producerConfig(settings), t.err());
        } catch (IOException e) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": " + e.getMessage());
        }
        t.out().printf("replayed %d events of %d runs to %s on %s (%d invalid lines%s)%n", r.sent(), r.runs(), topic,
                settings.bootstrapServers(), r.invalid(), skipInvalid ? ", skipped" : ", sent for the DLQ");
        if (r.error() != null) {
            throw new CliException(CliException.FAILED, "could not publish to " + topic + " on "
                    + settings.bootstrapServers() + ": " + r.error());
        }
        return 0;
    }

    /** The producer of a replay: the shared settings, and a bounded wait for a broker that is not there. */
    static Map<String, Object> producerConfig(KafkaSettings settings) {
        Map<String, Object> config = settings.producer("trainwatch-replay");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) MAX_BLOCK.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return config;
    }

    /**
     * Publishes the lines of {@code in}; invalid ones are reported on {@code err} ({@code line N: reason}). Stops at
     * the first record the producer cannot send (a missing broker would otherwise cost {@link #MAX_BLOCK} per line).
     */
    static Result replay(BufferedReader in, String topic, boolean skipInvalid, Map<String, Object> producerConfig,
                         PrintStream err) throws IOException {
        AtomicLong sent = new AtomicLong();
        long invalid = 0;
        Set<String> runs = new HashSet<>();
        AtomicReference<String> error = new AtomicReference<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
            String line;
            long number = 0;
            while (error.get() == null && (line = in.readLine()) != null) {
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
                    err.printf("line %d: %s%n", number, read.error());
                    if (skipInvalid) {
                        continue;
                    }
                }
                try {
                    producer.send(new ProducerRecord<>(topic, key, bytes), (meta, e) -> {
                        if (e != null) {
                            error.compareAndSet(null, e.getMessage() == null ? e.toString() : e.getMessage());
                        } else {
                            sent.incrementAndGet();
                        }
                    });
                } catch (KafkaException e) {
                    error.compareAndSet(null, e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
            producer.flush();
            producer.close(Duration.ofSeconds(5));
        }
        return new Result(sent.get(), invalid, runs.size(), error.get());
    }
}
