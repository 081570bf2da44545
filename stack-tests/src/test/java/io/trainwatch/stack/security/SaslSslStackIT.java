package io.trainwatch.stack.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.client.KafkaSettings;
import io.trainwatch.client.Run;
import io.trainwatch.client.TrainwatchClient;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.SecuredKafka;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The stack over a broker that takes only TLS and SCRAM-SHA-512 ({@code SASL_SSL}), every program configured with
 * exactly the settings the root README shows (its {@code export KAFKA_...} block, placeholders filled in: see
 * {@link ReadmeKafkaSettings}): the three services (their packaged jars, as {@link Stack} starts them) train a short
 * run that the monitor diagnoses; the client library in this JVM publishes a run and receives a command; clients
 * without the right credentials or without the CA are refused; and no service prints the SASL password, the
 * truststore password or the API token in its log, its metrics or an error answer. The broker comes from
 * {@link TestKafka#startSecured(Map)}: a throw-away CA and broker certificate, the SCRAM user of the README.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SaslSslStackIT {

    private static final Duration TRAINING_TIMEOUT = Duration.ofSeconds(120);
    /** How long a refused client is given before its attempt counts as failed. */
    private static final Duration REFUSAL_TIMEOUT = Duration.ofSeconds(8);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SecuredKafka broker;
    private static Stack stack;
    private static Map<String, String> readmeEnv;
    private static String password;
    private static String apiToken;
    /** Every error message a refused client or a refused request got: they must not carry a secret either. */
    private static final List<String> errors = new CopyOnWriteArrayList<>();

    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    @BeforeAll
    static void startSecuredStack() {
        ReadmeKafkaSettings readme = ReadmeKafkaSettings.read(Stack.repoRoot().resolve("README.md"));
        password = "sasl-" + UUID.randomUUID();
        apiToken = "token-" + UUID.randomUUID();
        broker = TestKafka.startSecured(Map.of(readme.user(), password));
        readmeEnv = readme.filledIn(broker.bootstrapServers(), password, broker.truststore(), broker.truststorePassword());
        Map<String, String> serviceEnv = new HashMap<>(readmeEnv);
        serviceEnv.put("TRAINWATCH_API_TOKEN", apiToken);
        // Each Kafka client prints its whole configuration at INFO (through AbstractConfig's logger, which the
        // services hold at WARN): the log test below then reads every setting, secrets included, as each service's
        // clients were given them. The java launcher reads JDK_JAVA_OPTIONS; the single quotes keep the double
        // quotes of the category name.
        serviceEnv.put("JDK_JAVA_OPTIONS",
                "'-Dquarkus.log.category.\"org.apache.kafka.common.config.AbstractConfig\".level=INFO'");
        stack = Stack.start("secured", broker.bootstrapServers(), serviceEnv);
    }

    @AfterAll
    static void stopSecuredStack() {
        if (stack != null) {
            stack.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void theServicesTrainAndDiagnoseARunOverSaslSsl() throws Exception {
        assertThat(readmeEnv).containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                .containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        String runId = "secured-healthy-" + suffix;
        int steps = 60;
        HttpResponse<String> started = stack.postJson(Service.TRAINER, "/runs",
                "{\"scenario\": \"healthy\", \"steps\": %d, \"runId\": \"%s\"}".formatted(steps, runId));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);

        // The trainer wrote the steps over SASL_SSL and the monitor (Kafka Streams) read them the same way.
        await().atMost(TRAINING_TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> r = stack.get(Service.MONITOR, "/runs/" + runId);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode run = JSON.readTree(r.body());
            assertThat(run.path("step").asLong()).isGreaterThanOrEqualTo(steps - 1);
            assertThat(run.path("metrics").path("loss").isNumber()).isTrue();
        });
        JsonNode trainer = JSON.readTree(stack.get(Service.TRAINER, "/runs/" + runId).body());
        assertThat(trainer.path("status").asText()).as(trainer.toString()).isNotEqualTo("failed");
        HttpResponse<String> alerts = stack.get(Service.MONITOR, "/runs/" + runId + "/alerts");
        assertThat(alerts.statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void theClientLibraryPublishesARunAndReceivesItsCommandWithTheReadmeSettings() throws Exception {
        KafkaSettings settings = KafkaSettings.from(readmeEnv, new Properties());
        String runId = "secured-client-" + suffix;
        try (TrainwatchClient client = TrainwatchClient.builder().settings(settings).build()) {
            Run run = client.run(runId).open();
            run.started(new RunConfig(null, "synthetic", 3, "cross-entropy", List.of(), "sgd", 0.1, 8, 1, null,
                    null, 1L), RunControl.of(RunControl.AUTO));
            await().atMost(Duration.ofSeconds(60)).until(client::commandsReady);
            long step = 0;
            for (; step < 20; step++) {
                run.step(step, 0, 1.0 / (step + 1), null, 0.1);
            }
            // A command written over SASL_SSL with the same settings reaches the run's command consumer.
            TunerCommand stop = new TunerCommand(Contract.SCHEMA_VERSION, "stop-" + suffix, runId, TunerCommand.STOP,
                    null, "secured stack test", null, Instant.now(), null, null, null);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producer("secured-test"))) {
                producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, runId, EventCodec.write(stop))).get();
            }
            await().atMost(Duration.ofSeconds(30)).until(run::hasPendingCommand);
            run.applyPending(step, c -> Map.of());
            assertThat(run.stopRequested()).isTrue();
            run.close();
            client.flush(Duration.ofSeconds(10));
        }

        List<TrainingEvent> events = readEvents(settings, runId);
        assertThat(events.get(0)).isInstanceOf(RunStarted.class);
        assertThat(events.stream().filter(e -> e instanceof StepEvent)).hasSize(20);
        assertThat(((RunFinished) events.get(events.size() - 1)).status()).isEqualTo("stopped");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> r = stack.get(Service.MONITOR, "/runs/" + runId);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).path("step").asLong()).isEqualTo(19);
        });
    }

    @Test
    @Order(3)
    void aWrongPasswordIsRefused() {
        Map<String, Object> config = admin();
        String wrong = "wrong-" + UUID.randomUUID();
        config.put(SaslConfigs.SASL_JAAS_CONFIG, readmeEnv.get("KAFKA_SASL_JAAS_CONFIG").replace(password, wrong));
        Throwable refused = refusal("a wrong password", config);
        assertThat(refused).isInstanceOf(SaslAuthenticationException.class);
        assertThat(refused.getMessage()).contains("SCRAM-SHA-512").doesNotContain(wrong);
    }

    @Test
    @Order(4)
    void aClientWithoutCredentialsIsRefused() throws Exception {
        Map<String, Object> plaintext = admin();
        plaintext.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        plaintext.keySet().removeIf(k -> k.startsWith("sasl.") || k.startsWith("ssl."));
        assertThat(refusal("PLAINTEXT", plaintext))
                .isInstanceOfAny(TimeoutException.class, java.util.concurrent.TimeoutException.class);

        Map<String, Object> tlsOnly = admin();
        tlsOnly.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        tlsOnly.remove(SaslConfigs.SASL_MECHANISM);
        tlsOnly.remove(SaslConfigs.SASL_JAAS_CONFIG);
        assertThat(refusal("TLS without SASL", tlsOnly))
                .isInstanceOfAny(TimeoutException.class, java.util.concurrent.TimeoutException.class);

        // Not a broker that is down: with the README's settings the same request is answered.
        try (Admin admin = Admin.create(admin())) {
            assertThat(admin.describeCluster().nodes().get(REFUSAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).hasSize(1);
        }
    }

    @Test
    @Order(5)
    void aClientThatDoesNotTrustTheBrokersCaIsRefused() {
        Map<String, Object> config = admin();
        config.remove(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
        config.remove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG);
        assertThat(refusal("no truststore", config)).isInstanceOf(SslAuthenticationException.class);
    }

    @Test
    @Order(6)
    void noSecretAppearsInAnyLogMetricsOrErrorAnswer() throws Exception {
        HttpResponse<String> unauthorized = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(stack.baseUrl(Service.TRAINER) + "/runs"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer not-" + apiToken)
                .POST(HttpRequest.BodyPublishers.ofString("{\"scenario\": \"healthy\", \"steps\": 5}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unauthorized.statusCode()).isEqualTo(401);
        errors.add(unauthorized.body());
        List<String> secrets = List.of(password, broker.truststorePassword(), apiToken);
        for (Service s : Service.values()) {
            String log = Files.readString(stack.logFile(s));
            // Not an empty check: each service's Kafka clients printed their settings, secrets hidden.
            assertThat(log).as(s.module()).contains("security.protocol = SASL_SSL")
                    .contains("sasl.mechanism = SCRAM-SHA-512").contains("sasl.jaas.config = [hidden]");
            String metrics = stack.get(s, "/q/metrics").body();
            assertThat(metrics).as(s.module()).contains("jvm_memory_used_bytes");
            for (String secret : secrets) {
                assertThat(log).as(s.module() + " log").doesNotContain(secret);
                assertThat(metrics).as(s.module() + " /q/metrics").doesNotContain(secret);
            }
        }
        assertThat(errors).as("error messages of refused clients and requests").isNotEmpty()
                .allSatisfy(message -> assertThat(secrets).noneMatch(message::contains));
    }

    /** Admin settings from the README's variables, with short timeouts for the refusal tests. */
    private static Map<String, Object> admin() {
        Map<String, Object> config = new HashMap<>(KafkaSettings.from(readmeEnv, new Properties()).admin("secured-refused"));
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REFUSAL_TIMEOUT.toMillis());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REFUSAL_TIMEOUT.toMillis());
        return config;
    }

    /**
     * What an Admin with {@code config} gets when it asks for the cluster: never the nodes, but an error within its
     * API timeout ({@link #REFUSAL_TIMEOUT}); waiting twice that long without an answer counts as refused too.
     */
    private static Throwable refusal(String what, Map<String, Object> config) {
        long begin = System.nanoTime();
        Admin admin = Admin.create(config);
        Throwable thrown;
        try {
            thrown = catchThrowable(() -> admin.describeCluster().nodes()
                    .get(2 * REFUSAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } finally {
            admin.close(Duration.ofSeconds(2));
        }
        System.out.printf("SaslSslStackIT: %s refused after %d ms: %s%n", what,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), thrown);
        assertThat(thrown).as(what + ": the broker answered a client it should refuse").isNotNull();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            errors.add(String.valueOf(t.getMessage()));
        }
        return thrown instanceof ExecutionException ? thrown.getCause() : thrown;
    }

    /** The events of a run on {@code training.events}, read with the README's settings, up to its run-finished. */
    private static List<TrainingEvent> readEvents(KafkaSettings settings, String runId) {
        List<TrainingEvent> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer(null, "secured-reader"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.TRAINING_EVENTS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (got.isEmpty() || !(got.get(got.size() - 1) instanceof RunFinished))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        got.add(EventCodec.readTrainingEvent(r.value()).value());
                    }
                }
            }
        }
        assertThat(got).as("events of " + runId).isNotEmpty();
        assertThat(got.get(got.size() - 1)).as("the run's last event").isInstanceOf(RunFinished.class);
        return got;
    }
}
