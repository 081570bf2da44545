package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins the JSON the live page and its API receive (snapshots, pushes, studies, stats) for a representative
 * sequence of records on every topic the page reads: the expected document was captured from the store as
 * it was before its classes were reshaped, and the keys and values must stay the same (key order is free).
 * One difference was made on purpose: a suggestion read before the alert it answers no longer takes its
 * detector from the first word of its reason text; it has none until that alert is read (the next push).
 */
class LiveJsonPinTest {

    static final String FIXTURE = "/live/live-json-pinned.json";
    private static final ObjectMapper STRICT = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void theLivePagesJsonIsUnchangedForARepresentativeSequence() throws Exception {
        JsonNode expected;
        try (InputStream in = LiveJsonPinTest.class.getResourceAsStream(FIXTURE)) {
            assertThat(in).as(FIXTURE).isNotNull();
            expected = STRICT.readTree(in);
        }
        JsonNode actual = capture();
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i)).as("capture " + expected.get(i).get("what")).isEqualTo(expected.get(i));
        }
    }

    /** Every JSON the store writes along the sequence, each labelled with what it is. */
    static ArrayNode capture() throws Exception {
        LiveStoreTest.MutableClock clock = new LiveStoreTest.MutableClock();
        LiveStore store = new LiveStore(LiveStoreTest.config(Map.of("maxActions", 4, "maxPendingPoints", 40)), clock);
        ArrayNode out = STRICT.createArrayNode();

        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(started("r1")));
        for (int i = 0; i < 12; i++) {
            store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", i, 2.0 - i * 0.1)));
        }
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 4, 9.0))); // out of order
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(new ValidationEvent(1, "r1", T0, null, null, 10, 0,
                1.2, 0.6, 1.3, 0.55)));
        store.apply(Topics.TRAINING_EVENTS, "r1", "not json".getBytes(StandardCharsets.UTF_8));
        clock.advance(Duration.ofSeconds(1));
        put(out, "push r1 after start", store.drain().json("r1"));

        // An alert, the tuner's answer and its confirmation; then a suggestion on another run.
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("r1", "al1", Alert.FIRING, "plateau", 9)));
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("r1", "al1", Alert.FIRING, "plateau", 9)));
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "c1", "r1",
                TunerCommand.SET_LEARNING_RATE, 0.003, "plateau: learning rate 0.03 -> 0.003", "al1", T0, "s1", "t0")));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(new CommandApplied(1, "r1", T0.plusSeconds(1), "s1",
                "t0", "c1", 12, TunerCommand.SET_LEARNING_RATE,
                Map.of("previousLearningRate", 0.03, "learningRate", 0.003, "reason", "plateau"))));
        store.apply(Topics.TRAINING_EVENTS, "r2", EventCodec.write(step("r2", 100, 0.9)));
        store.apply(Topics.TUNER_COMMANDS, "r2", EventCodec.write(new TunerCommand(1, "r2/al2/lr", "r2",
                TunerCommand.SET_LEARNING_RATE, 0.3, "underfitting: learning rate 0.03 -> 0.3", "al2", null, null,
                null, TunerCommand.SUGGEST)));
        clock.advance(Duration.ofSeconds(1));
        put(out, "push r1 after the answer", store.drain().json("r1"));
        // The alert the suggestion answered arrives after it; the alert resolves.
        store.apply(Topics.TRAINING_ALERTS, "r2", EventCodec.write(alert("r2", "al2", Alert.FIRING, "underfitting", 96)));
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("r1", "al1", Alert.RESOLVED, "plateau", 11)));
        clock.advance(Duration.ofSeconds(1));
        put(out, "push r2 after its alert", store.drain().json("r2"));

        // A confirmation read before its command; a stop with no alert; the run's end.
        store.apply(Topics.TRAINING_EVENTS, "r2", EventCodec.write(step("r2", 120, 0.8)));
        store.apply(Topics.TRAINING_EVENTS, "r2", EventCodec.write(new CommandApplied(1, "r2", T0.plusSeconds(3), null,
                null, "c3", 121, TunerCommand.SET_LEARNING_RATE, Map.of("learningRate", 0.001))));
        store.apply(Topics.TUNER_COMMANDS, "r2", EventCodec.write(new TunerCommand(1, "c3", "r2",
                TunerCommand.SET_LEARNING_RATE, 0.001, "decay on request", null, T0.plusSeconds(2), null, null)));
        store.apply(Topics.TUNER_COMMANDS, "r2", EventCodec.write(new TunerCommand(1, "c4", "r2", TunerCommand.STOP,
                null, "budget spent", null, T0.plusSeconds(4), null, null)));
        store.apply(Topics.TRAINING_EVENTS, "r2", EventCodec.write(new RunFinished(1, "r2", T0.plusSeconds(5), null, null,
                RunFinished.STOPPED, "stopped by command c4", 122, 3L)));
        // A trial whose trainer has not spoken, a study document, a record of no topic of the page.
        store.apply(Topics.TUNER_TRIALS, "t", EventCodec.write(new Trial(1, "s1", "t1", "r3",
                Map.of("learningRate", 0.01), new Trial.Budget(100L, null), "random", null, T0)));
        store.apply(Topics.TUNER_STUDIES, "s1", ("{\"id\":\"s1\",\"spec\":{\"name\":\"demo\",\"objective\":"
                + "\"minimize-validation-loss\"},\"status\":\"running\",\"rounds\":[{}],\"trials\":[{\"trialId\":\"t0\","
                + "\"runId\":\"r1\",\"status\":\"completed\",\"best\":0.5}]}").getBytes(StandardCharsets.UTF_8));
        store.apply("elsewhere", "k", new byte[] {1});
        clock.advance(Duration.ofSeconds(1));
        put(out, "push r2 at its end", store.drain().json("r2"));
        // Many points between two pushes: the run is reloaded instead.
        for (int i = 12; i < 60; i++) {
            store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", i, 1.0)));
        }
        clock.advance(Duration.ofSeconds(1));
        put(out, "push r1 overflowing", store.drain().json("r1"));

        put(out, "runs", LiveJson.write(store.runs()));
        put(out, "run r1", LiveJson.write(store.run("r1")));
        put(out, "run r2", LiveJson.write(store.run("r2")));
        put(out, "run r3", LiveJson.write(store.run("r3")));
        put(out, "studies", LiveJson.write(store.studies()));
        put(out, "stats", LiveJson.write(store.stats()));
        return out;
    }

    private static void put(ArrayNode out, String what, String json) throws Exception {
        ObjectNode n = out.addObject();
        n.put("what", what);
        n.set("json", STRICT.readTree(json));
    }

    private static RunStarted started(String runId) {
        RunConfig c = new RunConfig("plateau", "blobs", 5, "cross-entropy",
                List.of(new LayerInfo("layer0", "dense", 20, 64, "relu", "xavier"),
                        new LayerInfo("out", "output", 64, 5, "softmax", "xavier")),
                "adam", 0.03, 32, 10, 0.0, 0.0, 1L);
        return new RunStarted(1, runId, T0, "s1", "t0", c, "nd4j-native", "cpu");
    }

    private static StepEvent step(String runId, long step, double loss) {
        Map<String, Double> norms = new LinkedHashMap<>();
        norms.put("layer0", 0.5);
        norms.put("out", step % 7 == 0 ? Double.NaN : 0.7);
        return new StepEvent(1, runId, T0.plusMillis(step), null, null, step, 0, loss, 0.5, 0.03, 1.0, norms, null,
                null, null, null);
    }

    private static Alert alert(String runId, String id, String status, String detector, long step) {
        return new Alert(1, id, status, runId, null, null, detector, Alert.INFO, step, 0, T0, detector + " " + status,
                Map.of("smoothedLoss", 0.3), "decay the learning rate", Alert.ACTION_DECAY_LR);
    }

    /** Writes the fixture from the current store (run by hand when the pinned JSON is meant to change). */
    public static void main(String[] args) throws Exception {
        java.nio.file.Files.writeString(java.nio.file.Path.of(args[0]),
                STRICT.writerWithDefaultPrettyPrinter().writeValueAsString(capture()) + "\n");
    }
}
