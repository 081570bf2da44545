package io.trainwatch.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.trainwatch.cli.Main;
import io.trainwatch.cli.Terminal;
import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.Topics;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's driver over the real test broker, with local HTTP servers standing in for the trainer
 * ({@code GET /scenarios}) and the tuner ({@code POST /studies}, which here publishes the study's run to Kafka as
 * the trainer would): it reads the run from the contract topics, prints it, judges it and sets its exit status.
 */
class DemoIT {

    private static final int V = Contract.SCHEMA_VERSION;
    private static final String SCENARIOS = """
            [{"name": "healthy", "pathology": "none", "defaultSteps": 50,
              "config": {"dataset": "iris", "hiddenLayers": [8], "learningRate": 0.01}}]""";

    private HttpServer trainer;
    private HttpServer tuner;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void topics() {
        for (String topic : List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS, Topics.TUNER_COMMANDS,
                Topics.TUNER_TRIALS)) {
            TestKafka.createTopic(topic, 1);
        }
    }

    @AfterEach
    void stop() {
        trainer.stop(0);
        tuner.stop(0);
    }

    /** Starts the stand-ins; the tuner publishes each study's one run, with a false alert when {@code alertOnHealthy}. */
    private void services(boolean alertOnHealthy) throws IOException {
        trainer = server();
        trainer.createContext("/scenarios", x -> answer(x, 200, SCENARIOS));
        tuner = server();
        tuner.createContext("/studies", x -> {
            JsonNode study = EventCodec.MAPPER.readTree(x.getRequestBody().readAllBytes());
            String studyId = study.path("id").asText();
            publish(studyId, alertOnHealthy);
            answer(x, 201, "{\"status\": \"running\", \"id\": \"" + studyId + "\"}");
        });
    }

    private static void publish(String studyId, boolean alert) {
        String runId = studyId + "-t000";
        Instant t = Instant.now();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(TestKafka.producerConfig())) {
            p.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, EventCodec.writeString(new RunStarted(V, runId, t,
                    studyId, "t000", new RunConfig(null, null, 3, null, List.of(), null, 0.01, 32, null, null, null, 1L),
                    "cpu", "cpu"))));
            if (alert) {
                p.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, runId, EventCodec.writeString(new Alert(V, "a-1",
                        Alert.FIRING, runId, studyId, "t000", "overfitting", Alert.WARNING, 40, 0, t, "overfitting",
                        Map.of("gap", 0.3), "remedy", Alert.ACTION_NONE))));
            }
            p.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, EventCodec.writeString(new RunFinished(V, runId, t,
                    studyId, "t000", RunFinished.COMPLETED, "reached maxSteps=50", 49, 0L))));
            p.flush();
        }
    }

    private static HttpServer server() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.start();
        return s;
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    private int demo() {
        Map<String, String> env = Map.of(Terminal.TRAINER_URL, "http://127.0.0.1:" + trainer.getAddress().getPort(),
                Terminal.TUNER_URL, "http://127.0.0.1:" + tuner.getAddress().getPort(),
                "KAFKA_BOOTSTRAP_SERVERS", TestKafka.bootstrapServers());
        return Main.run(new String[] {"demo", "--no-search", "--timeout", "60"}, new Terminal(env,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false, Duration.ofMillis(10), Duration.ofSeconds(1)));
    }

    @Test
    void aHealthyRunWithoutAlertPassesTheDemo() throws Exception {
        services(false);
        assertThat(demo()).as(out + "\n" + err).isZero();
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).containsPattern("run +healthy +started as demo-healthy-\\w+-t000 \\(healthy: expects no alert\\)")
                .containsPattern("healthy +no alert +no alert +- +completed at step 49 +ok")
                .endsWith("demo: every scenario got its expected diagnosis and the healthy run no alert\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void anAlertOnTheHealthyRunFailsTheDemoWithOneLineAndStatus1() throws Exception {
        services(true);
        assertThat(demo()).as(out + "\n" + err).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("ALERT  overfitting")
                .containsPattern("healthy +no alert +overfitting @40 .* FAIL");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("demo: FAILED: see the verdict column\n");
    }
}
