package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The live page in a real headless Chromium over the real test broker: a recorded trainer run (the tuned
 * plateau recording, whose rate the tuner cut at step 202) goes to {@code training.events}, the monitor
 * diagnoses it, a tuner command answers the alert; the page, opened with no network but this service, shows
 * the run's curves, a marker for the detector that fired and the tuner's action, and the study's leaderboard
 * and range-test curve; then more steps arrive and the charts grow without a reload. Screenshot:
 * {@code target/live-page.png}.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class LivePageBrowserIT {

    private static final String RECORDED_RUN = "loop-plateau-1-t000";
    private static final String RECORDED_STUDY = "loop-plateau-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL root;

    @Test
    void thePageShowsARunsCurvesAlertsAndTunerActionsLive() throws Exception {
        try (Chromium browser = Chromium.start();
             KafkaProducer<String, String> producer = new KafkaProducer<>(TestKafka.producerConfig())) {
            String suffix = UUID.randomUUID().toString().substring(0, 8);
            String runId = "live-plateau-" + suffix;
            String studyId = "live-study-" + suffix;
            List<String> lines = fixture(runId, studyId);
            List<String> first = new ArrayList<>();
            List<String> rest = new ArrayList<>();
            for (String line : lines) {
                long step = JSON.readTree(line).path("step").asLong(-1);
                (step <= 300 ? first : rest).add(line);
            }
            send(producer, Topics.TRAINING_EVENTS, runId, first);

            // The monitor's diagnosis (its REST view), then the tuner's answer to it.
            JsonNode alert = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                for (JsonNode a : JSON.readTree(given().get("/runs/" + runId + "/alerts").asString())) {
                    if ("firing".equals(a.path("status").asText())) {
                        return a;
                    }
                }
                return null;
            }, a -> a != null);
            String detector = alert.path("detector").asText();
            String commandId = runId + "/0c6c3bc73bdddf5d1e3076f5/lr"; // the recording's command-applied at step 202
            TunerCommand command = new TunerCommand(1, commandId, runId, TunerCommand.SET_LEARNING_RATE, 0.003,
                    detector + ": learning rate 0.03 -> 0.003 (x0.1)", alert.path("alertId").asText(), Instant.now(),
                    studyId, "t000");
            send(producer, Topics.TUNER_COMMANDS, runId, List.of(EventCodec.writeString(command)));
            send(producer, Topics.TUNER_STUDIES, studyId, List.of(study(studyId, runId)));

            browser.navigate(root.toString());
            browser.waitFor("typeof uPlot === 'function' && !!window.trainwatchLive"
                    + " && !!document.querySelector('#runs tr[data-run=\"" + runId + "\"]')", JsonNode::asBoolean, Duration.ofSeconds(20));
            String loadId = browser.eval("window.trainwatchLive.loadId").asText();
            browser.eval("document.querySelector('#runs tr[data-run=\"" + runId + "\"]').click(); true");

            String state = "window.trainwatchLive.state()";
            JsonNode shown = browser.waitFor(state, s -> s.path("charts").path("loss").path("series").path(0).path("points").asInt() >= 290
                    && s.path("charts").path("grad").path("series").size() == 3
                    && hasMarker(s, "alert", detector)
                    && hasAction(s, commandId, "applied", "decay")
                    && s.path("rangeCharts").asInt() >= 1, Duration.ofSeconds(20));
            assertThat(shown.path("selected").asText()).isEqualTo(runId);
            assertThat(shown.path("charts").path("loss").path("series").path(1).path("points").asInt())
                    .as("validation loss points (every 100 steps)").isBetween(2, 4);
            assertThat(shown.path("charts").path("lr").path("series").path(0).path("points").asInt()).isGreaterThanOrEqualTo(290);
            assertThat(hasMarker(shown, "action", "decay")).as("the decay drawn on the step axis").isTrue();
            assertThat(browser.eval("document.querySelectorAll('#alerts li[data-detector=\"" + detector + "\"]').length").asInt()).isPositive();
            assertThat(browser.eval("document.querySelector('#actions li[data-kind=\"decay\"]').textContent").asText())
                    .contains("applied at step 202");
            assertThat(browser.eval("document.querySelector('.study[data-study=\"" + studyId + "\"]').textContent").asText())
                    .contains("t000");

            // Live: more steps arrive; the charts grow with no reload.
            send(producer, Topics.TRAINING_EVENTS, runId, rest);
            JsonNode grown = browser.waitFor(state, s -> s.path("charts").path("loss").path("maxStep").asLong() == 399
                    && s.path("charts").path("loss").path("series").path(0).path("points").asInt() >= 390, Duration.ofSeconds(20));
            assertThat(grown.path("loadId").asText()).isEqualTo(loadId);
            assertThat(grown.path("counts").path("pointsReceived").asInt()).as("points pushed over the event stream").isPositive();
            browser.waitFor("document.querySelector('#run-head').textContent", t -> t.asText().contains("completed"),
                    Duration.ofSeconds(10));

            // Nothing but this service was asked for anything.
            JsonNode resources = browser.eval("performance.getEntriesByType('resource').map(e => e.name)");
            for (JsonNode url : resources) {
                assertThat(url.asText()).startsWith(root.toString().replaceAll("/$", ""));
            }
            browser.eval("window.scrollTo(0, 0); true");
            browser.screenshot(Path.of("target", "live-page.png"));
        }
    }

    private static boolean hasMarker(JsonNode state, String kind, String what) {
        for (JsonNode m : state.path("markers")) {
            if (kind.equals(m.path("kind").asText()) && (what.equals(m.path("detector").asText()) || what.equals(m.path("action").asText()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasAction(JsonNode state, String commandId, String status, String kind) {
        for (JsonNode a : state.path("actions")) {
            if (commandId.equals(a.path("commandId").asText()) && status.equals(a.path("status").asText())
                    && kind.equals(a.path("kind").asText()) && a.has("reason")) {
                return true;
            }
        }
        return false;
    }

    private static void send(KafkaProducer<String, String> producer, String topic, String key, List<String> values) {
        for (String v : values) {
            producer.send(new ProducerRecord<>(topic, key, v));
        }
        producer.flush();
    }

    private static List<String> fixture(String runId, String studyId) throws Exception {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                LivePageBrowserIT.class.getResourceAsStream("/fixtures/trainer-plateau-tuned-s1.jsonl.gz")),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line.replace(RECORDED_RUN, runId).replace("\"" + RECORDED_STUDY + "\"", "\"" + studyId + "\""));
                }
            }
        }
        return lines;
    }

    /** A study document as the tuner writes it, with a preflight learning-rate range test. */
    private static String study(String studyId, String runId) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i <= 60; i++) {
            double rate = Math.pow(10, -6 + i * 7.0 / 60);
            double loss = rate < 1e-4 ? 1.61 : rate < 0.3 ? 1.61 - 1.2 * Math.log10(rate / 1e-4) / 3.5 : 0.4 + 4 * (rate - 0.3);
            points.append(i == 0 ? "" : ",").append('[').append(rate).append(',').append(i == 60 ? "\"NaN\"" : loss).append(']');
        }
        return "{\"schemaVersion\":1,\"id\":\"" + studyId + "\",\"spec\":{\"name\":\"live page study\","
                + "\"objective\":\"maximize-validation-accuracy\"},\"status\":\"running\",\"rounds\":[{\"round\":0}],"
                + "\"updatedAt\":\"" + Instant.now() + "\",\"trials\":[{\"trialId\":\"t000\",\"runId\":\"" + runId
                + "\",\"status\":\"running\",\"origin\":\"random\",\"params\":{\"learningRate\":0.03,\"hiddenUnits\":64},"
                + "\"best\":0.905,\"bestStep\":99,\"learningRate\":0.003},{\"trialId\":\"t001\",\"runId\":\"" + runId
                + "-b\",\"status\":\"stopped\",\"origin\":\"random\",\"best\":0.41,\"stopDetector\":\"underfitting\"}],"
                + "\"preflight\":{\"initialLoss\":{\"loss\":1.62,\"expected\":1.609,\"ok\":true},"
                + "\"lrRangeTest\":{\"points\":[" + points + "],\"range\":[0.001,0.1]}}}";
    }
}
