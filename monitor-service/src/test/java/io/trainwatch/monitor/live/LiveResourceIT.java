package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/** The live page's HTTP side over the real test broker, no browser: JSON a browser can parse, 404s, the event stream. */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class LiveResourceIT {

    /** Strict: a bare NaN token would fail it, as it fails JSON.parse. */
    private static final ObjectMapper STRICT = new ObjectMapper();

    @TestHTTPResource("/")
    URL root;

    @Test
    void nonFiniteValuesAndJunkNeverBreakTheJson() throws Exception {
        String runId = "live-nan-" + UUID.randomUUID().toString().substring(0, 8);
        long skippedBefore = STRICT.readTree(given().get("/live/stats").asString()).get("skipped").asLong();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, "{not json"));
            producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, runId, "[]"));
            for (int i = 0; i < 3; i++) {
                double loss = i == 0 ? 1.6 : i == 1 ? Double.POSITIVE_INFINITY : Double.NaN;
                producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, EventCodec.writeString(new StepEvent(1,
                        runId, Instant.now(), null, null, i, 0, loss, null, 0.1, Double.NaN, Map.of("layer0", Double.NaN),
                        null, null, null, null))));
            }
            producer.flush();
        }
        JsonNode run = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var r = given().get("/live/runs/" + runId);
            return r.statusCode() == 200 ? STRICT.readTree(r.asString()) : null;
        }, r -> r != null && r.at("/run/step").asLong() == 2);
        assertThat(run.at("/series/loss/values").toString()).isEqualTo("[1.6,\"Infinity\",\"NaN\"]");
        assertThat(run.at("/run/latest/gradientNorm").asText()).isEqualTo("NaN");
        JsonNode runs = STRICT.readTree(given().get("/live/runs").then().statusCode(200)
                .header("Content-Type", containsString("application/json")).extract().asString());
        assertThat(runs.findValuesAsText("runId")).contains(runId);
        assertThat(STRICT.readTree(given().get("/live/stats").asString()).get("skipped").asLong())
                .isGreaterThanOrEqualTo(skippedBefore + 2);
        given().get("/live/runs/no-such-run").then().statusCode(404);
        STRICT.readTree(given().get("/live/studies").then().statusCode(200).extract().asString());
        given().get("/").then().statusCode(200).body(containsString("live.js"));
        given().get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").then().statusCode(200);
    }

    @Test
    void theEventStreamSaysHelloThenPushesWhatChanged() throws Exception {
        String runId = "live-sse-" + UUID.randomUUID().toString().substring(0, 8);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(root.toString() + "live/stream?run=" + runId))
                .header("Accept", "text/event-stream").build();
        CompletableFuture<HttpResponse<Stream<String>>> response = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> r = response.get(10, TimeUnit.SECONDS);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        Iterator<String> lines = r.body().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim()).iterator();
        CompletableFuture<JsonNode> hello = CompletableFuture.supplyAsync(() -> read(lines.next()));
        assertThat(hello.get(10, TimeUnit.SECONDS).get("type").asText()).isEqualTo("hello");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            producer.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, runId, EventCodec.writeString(new StepEvent(1,
                    runId, Instant.now(), null, null, 0, 0, 1.5, null, null, null, null, null, null, null, null))));
            producer.flush();
        }
        CompletableFuture<JsonNode> mine = CompletableFuture.supplyAsync(() -> {
            while (true) {
                JsonNode push = read(lines.next());
                if (push.at("/points/" + runId + "/loss/steps/0").isNumber()) {
                    return push;
                }
            }
        });
        JsonNode push = mine.get(30, TimeUnit.SECONDS);
        assertThat(push.get("type").asText()).isEqualTo("delta");
        assertThat(push.at("/points/" + runId + "/loss/values/0").asDouble()).isEqualTo(1.5);
        r.body().close();
    }

    @Test
    void theAlertStreamCarriesTheTunersSuggestionsOneLineEachNotItsCommands() throws Exception {
        String runId = "live-suggest-" + UUID.randomUUID().toString().substring(0, 8);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                STRICT.readTree(given().get("/live/stats").asString()).get("caughtUp").asBoolean());
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(root.toString() + "alerts/stream"))
                .header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> r = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
        Iterator<String> lines = r.body().filter(l -> l.startsWith("data:") && l.contains(runId))
                .map(l -> l.substring(5).trim()).iterator();
        CompletableFuture<String> first = CompletableFuture.supplyAsync(lines::next);
        // Sent until the stream has one (the subscription may start after the first record is read).
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            for (int i = 0; i < 30 && !first.isDone(); i++) {
                producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, runId, EventCodec.writeString(new TunerCommand(1,
                        runId + "/apply-" + i, runId, TunerCommand.SET_LEARNING_RATE, 0.5, "a command to apply", "al",
                        Instant.now(), null, null))));
                producer.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, runId, EventCodec.writeString(new TunerCommand(1,
                        runId + "/al/lr", runId, TunerCommand.SET_LEARNING_RATE, 0.001,
                        "plateau: learning rate 0.01000 -> 0.001000", "al", Instant.now(), null, null,
                        TunerCommand.SUGGEST))));
                producer.flush();
                Thread.sleep(500);
            }
        }
        String line = first.get(30, TimeUnit.SECONDS);
        assertThat(line).contains("SUGGEST", "set-learning-rate", "run=" + runId, "learning-rate=0.001", "alert=al",
                "plateau: learning rate", "(not applied)").doesNotContain("a command to apply");
        r.body().close();
    }

    private static JsonNode read(String json) {
        try {
            return STRICT.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException("not JSON: " + json, e);
        }
    }
}
