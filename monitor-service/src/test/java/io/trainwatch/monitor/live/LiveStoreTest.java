package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LiveStoreTest {

    /** A strict reader: bare NaN tokens would fail it, as they fail JSON.parse in a browser. */
    private static final ObjectMapper STRICT = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    private final MutableClock clock = new MutableClock();

    @Test
    void stepsValidationsAndLayersBecomeSeriesAndTheLatestFigures() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(started("r1")));
        for (int i = 0; i < 10; i++) {
            store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", i, 2.0 - i * 0.1)));
        }
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(new ValidationEvent(1, "r1", T0, null, null, 9, 0,
                1.2, 0.6, 1.3, 0.55)));
        JsonNode run = STRICT.readTree(LiveJson.write(store.run("r1")));
        assertThat(run.at("/run/scenario").asText()).isEqualTo("plateau");
        assertThat(run.at("/run/step").asLong()).isEqualTo(9);
        assertThat(run.at("/run/latest/validationLoss").asDouble()).isEqualTo(1.3);
        assertThat(run.at("/series/loss/steps")).hasSize(10);
        assertThat(run.at("/series/loss/values/9").asDouble()).isCloseTo(1.1, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(run.at("/series/validationAccuracy/steps/0").asLong()).isEqualTo(9);
        assertThat(run.at("/series/grad:layer0/steps")).hasSize(10);
        assertThat(run.at("/series/grad:out/steps")).hasSize(10);
        assertThat(run.at("/run/config/layers")).hasSize(2);
    }

    @Test
    void duplicateAndOutOfOrderStepsAreCountedAndChangeNothing() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 5, 1.0)));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 5, 9.0)));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 3, 9.0)));
        ValidationEvent v = new ValidationEvent(1, "r1", T0, null, null, 5, 0, null, null, 1.0, null);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(v));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(v));
        assertThat(store.ignored()).isEqualTo(3);
        JsonNode run = STRICT.readTree(LiveJson.write(store.run("r1")));
        assertThat(run.at("/run/latest/loss").asDouble()).isEqualTo(1.0);
        assertThat(run.at("/series/loss/values")).hasSize(1);
        assertThat(run.at("/series/validationLoss/values")).hasSize(1);
        assertThat(run.at("/run/ignoredEvents").asLong()).isEqualTo(3);
    }

    @Test
    void aLateOrReplayedEventNeverMovesTheRunsLastEventTimeBack() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 9, 1.0)));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 2, 1.0)));
        JsonNode run = STRICT.readTree(LiveJson.write(store.run("r1")));
        assertThat(Instant.parse(run.at("/run/lastEventAt").asText())).isEqualTo(T0.plusMillis(9));
    }

    @Test
    void nanAndInfinityAreStringsInEveryJsonTheStoreWrites() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 0, 1.0)));
        store.drain();
        StepEvent nan = new StepEvent(1, "r1", T0, null, null, 1, 0, Double.NaN, null, Double.POSITIVE_INFINITY,
                Double.NaN, Map.of("layer0", Double.NEGATIVE_INFINITY), null, null, null, null);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(nan));
        Alert alert = new Alert(1, "a1", Alert.FIRING, "r1", null, null, "divergence", Alert.CRITICAL, 1, 0, T0,
                "the loss is NaN", Map.of("loss", Double.NaN, "gradientNorm", Double.POSITIVE_INFINITY), "stop", "stop");
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert));

        String snapshot = LiveJson.write(store.run("r1"));
        JsonNode run = STRICT.readTree(snapshot);
        assertThat(run.at("/run/latest/loss").asText()).isEqualTo("NaN");
        assertThat(run.at("/run/latest/learningRate").asText()).isEqualTo("Infinity");
        assertThat(run.at("/series/loss/values/1").asText()).isEqualTo("NaN");
        assertThat(run.at("/series/grad:layer0/values/1").asText()).isEqualTo("-Infinity");
        assertThat(run.at("/alerts/0/evidence/loss").asText()).isEqualTo("NaN");
        JsonNode push = STRICT.readTree(store.drain().json("r1"));
        assertThat(push.at("/points/r1/loss/values/0").asText()).isEqualTo("NaN");
        assertThat(push.at("/alerts/0/evidence/gradientNorm").asText()).isEqualTo("Infinity");
        assertThat(STRICT.readTree(LiveJson.write(store.runs())).get(0).at("/latest/loss").asText()).isEqualTo("NaN");
    }

    @Test
    void unreadableRecordsOfEveryTopicAreSkippedAndCounted() {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        byte[] junk = "not json {".getBytes(StandardCharsets.UTF_8);
        for (String topic : LiveFeed.TOPICS) {
            store.apply(topic, "k", junk);
        }
        store.apply(Topics.TRAINING_EVENTS, "k", null);
        store.apply(Topics.TRAINING_EVENTS, "k", new byte[0]);
        store.apply(Topics.TRAINING_EVENTS, "k", "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"x\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"step\":-5,\"loss\":1}".getBytes(StandardCharsets.UTF_8));
        store.apply(Topics.TUNER_STUDIES, "s", "{\"no\":\"id\"}".getBytes(StandardCharsets.UTF_8));
        store.apply(Topics.TUNER_STUDIES, "s", ("[" + "[".repeat(500) + "]".repeat(500) + "]").getBytes(StandardCharsets.UTF_8));
        store.apply("some.other.topic", "k", junk);
        assertThat(store.skipped()).isEqualTo(LiveFeed.TOPICS.size() + 6);
        assertThat(store.records()).isEqualTo(LiveFeed.TOPICS.size() + 6);
        assertThat(store.runs()).isEmpty();
        assertThat(store.studies()).isEmpty();
        assertThat(store.stats().lastSkipReason()).isNotNull();
    }

    @Test
    void alertsAreDeduplicatedCountedAndBoundedPerRun() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxAlerts", 3)), clock);
        Alert firing = alert("a1", Alert.FIRING, "plateau", 100);
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(firing));
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(firing));
        JsonNode summary = STRICT.readTree(LiveJson.write(store.runs())).get(0);
        assertThat(summary.at("/alerts/firing").asInt()).isEqualTo(1);
        assertThat(summary.at("/alerts/active/0").asText()).isEqualTo("plateau");
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("a1", Alert.RESOLVED, "plateau", 150)));
        summary = STRICT.readTree(LiveJson.write(store.runs())).get(0);
        assertThat(summary.at("/alerts/firing").asInt()).isZero();
        assertThat(summary.at("/alerts/total").asInt()).isEqualTo(1);
        for (int i = 2; i < 10; i++) {
            store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("a" + i, Alert.FIRING, "overfitting", 100 + i)));
        }
        JsonNode alerts = STRICT.readTree(LiveJson.write(store.run("r1"))).get("alerts");
        assertThat(alerts).hasSize(3);
        assertThat(alerts.get(2).get("alertId").asText()).isEqualTo("a9");
    }

    @Test
    void aCommandAndItsConfirmationAreOneActionWhicheverComesFirst() throws Exception {
        for (boolean commandFirst : List.of(true, false)) {
            LiveStore store = new LiveStore(config(Map.of()), clock);
            store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 190, 0.3)));
            store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("al", Alert.FIRING, "plateau", 186)));
            byte[] command = EventCodec.write(new TunerCommand(1, "c1", "r1", TunerCommand.SET_LEARNING_RATE, 0.003,
                    "plateau: learning rate 0.03 -> 0.003", "al", T0, "s1", "t0"));
            byte[] applied = EventCodec.write(new CommandApplied(1, "r1", T0, "s1", "t0", "c1", 202, "set-learning-rate",
                    Map.of("previousLearningRate", 0.03, "learningRate", 0.003)));
            if (commandFirst) {
                store.apply(Topics.TUNER_COMMANDS, "r1", command);
                store.apply(Topics.TRAINING_EVENTS, "r1", applied);
            } else {
                store.apply(Topics.TRAINING_EVENTS, "r1", applied);
                store.apply(Topics.TUNER_COMMANDS, "r1", command);
            }
            JsonNode actions = STRICT.readTree(LiveJson.write(store.run("r1"))).get("actions");
            assertThat(actions).as("command first: " + commandFirst).hasSize(1);
            JsonNode a = actions.get(0);
            assertThat(a.get("status").asText()).isEqualTo("applied");
            assertThat(a.get("kind").asText()).isEqualTo("decay");
            assertThat(a.get("detector").asText()).isEqualTo("plateau");
            assertThat(a.get("issuedStep").asLong()).isEqualTo(186);
            assertThat(a.get("appliedStep").asLong()).isEqualTo(202);
            assertThat(a.get("reason").asText()).startsWith("plateau:");
            assertThat(a.get("previousLearningRate").asDouble()).isEqualTo(0.03);
        }
    }

    @Test
    void aSuggestionIsShownAsSuggestedNeverAsIssuedOrApplied() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 190, 0.3)));
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("al", Alert.FIRING, "plateau", 186)));
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "r1/al/lr", "r1",
                TunerCommand.SET_LEARNING_RATE, 0.003, "plateau: learning rate 0.03 -> 0.003", "al", T0, null, null,
                TunerCommand.SUGGEST)));
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 260, 0.3)));
        JsonNode a = STRICT.readTree(LiveJson.write(store.run("r1"))).at("/actions/0");
        assertThat(a.get("status").asText()).isEqualTo("suggested");
        assertThat(a.get("mode").asText()).isEqualTo("suggest");
        assertThat(a.get("kind").asText()).isEqualTo("decay");
        assertThat(a.get("previousLearningRate").asDouble()).isEqualTo(0.03);
        assertThat(a.get("learningRate").asDouble()).isEqualTo(0.003);
        assertThat(a.get("issuedStep").asLong()).isEqualTo(186);
        assertThat(a.has("appliedStep")).isFalse();
        // A command to apply stays what it was.
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "r1/al2/lr", "r1",
                TunerCommand.SET_LEARNING_RATE, 0.003, "plateau", "al2", T0, null, null)));
        JsonNode b = STRICT.readTree(LiveJson.write(store.run("r1"))).at("/actions/1");
        assertThat(b.get("status").asText()).isEqualTo("issued");
        assertThat(b.has("mode")).isFalse();
    }

    @Test
    void anActionAnsweringAnAlertNotReadYetMovesToTheAlertsStepWhenItComes() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 300, 0.3)));
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "c1", "r1",
                TunerCommand.SET_LEARNING_RATE, 0.003, "decay", "al", T0, null, null)));
        assertThat(STRICT.readTree(LiveJson.write(store.run("r1"))).at("/actions/0/issuedStep").asLong()).isEqualTo(300);
        store.drain();
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("al", Alert.FIRING, "plateau", 196)));
        JsonNode action = STRICT.readTree(LiveJson.write(store.run("r1"))).at("/actions/0");
        assertThat(action.get("issuedStep").asLong()).isEqualTo(196);
        assertThat(action.get("detector").asText()).isEqualTo("plateau");
        assertThat(STRICT.readTree(store.drain().json("r1")).at("/actions/0/issuedStep").asLong()).isEqualTo(196);
    }

    @Test
    void aTrialIsQueuedUntilItsTrainerSpeaks() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TUNER_TRIALS, "t", EventCodec.write(new io.trainwatch.events.Trial(1, "s1", "t0", "r9",
                Map.of("learningRate", 0.01), new io.trainwatch.events.Trial.Budget(100L, null), "random", null, T0)));
        JsonNode run = STRICT.readTree(LiveJson.write(store.runs())).get(0);
        assertThat(run.get("status").asText()).isEqualTo("queued");
        assertThat(run.get("studyId").asText()).isEqualTo("s1");
        store.apply(Topics.TRAINING_EVENTS, "r9", EventCodec.write(step("r9", 0, 1)));
        assertThat(STRICT.readTree(LiveJson.write(store.runs())).get(0).get("status").asText()).isEqualTo("running");
    }

    @Test
    void aStopCommandAndTheRunsOutcome() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxActions", 2)), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 50, 0.3)));
        // The commands name no alert: their detector is the one whose alert fired at the step they were issued.
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("of", Alert.FIRING, "overfitting", 50)));
        for (int i = 0; i < 3; i++) {
            store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "c" + i, "r1", TunerCommand.STOP,
                    null, "overfitting: stop", null, null, null, null)));
        }
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(new RunFinished(1, "r1", T0, null, null,
                RunFinished.STOPPED, "stopped by command c2", 52, 0L)));
        JsonNode run = STRICT.readTree(LiveJson.write(store.run("r1")));
        assertThat(run.get("actions")).hasSize(2);
        assertThat(run.at("/actions/1/kind").asText()).isEqualTo("stop");
        assertThat(run.at("/actions/1/issuedStep").asLong()).isEqualTo(50);
        assertThat(run.at("/actions/1/detector").asText()).isEqualTo("overfitting");
        assertThat(run.at("/run/status").asText()).isEqualTo("stopped");
        assertThat(run.at("/run/finished/reason").asText()).isEqualTo("stopped by command c2");
    }

    @Test
    void anActionsDetectorComesFromTheAlertItAnswersNeverFromItsReasonText() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r1", EventCodec.write(step("r1", 50, 0.3)));
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("old", Alert.FIRING, "plateau", 20)));
        // A reason that starts with a detector's name, no alert id, no alert at the step: no detector.
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "c1", "r1", TunerCommand.STOP,
                null, "overfitting: stop", null, null, null, null)));
        // An alert id wins over the reason text.
        store.apply(Topics.TRAINING_ALERTS, "r1", EventCodec.write(alert("u", Alert.FIRING, "underfitting", 40)));
        store.apply(Topics.TUNER_COMMANDS, "r1", EventCodec.write(new TunerCommand(1, "c2", "r1", TunerCommand.STOP,
                null, "overfitting: stop", "u", null, null, null)));
        JsonNode actions = STRICT.readTree(LiveJson.write(store.run("r1"))).get("actions");
        assertThat(actions.get(0).has("detector")).isFalse();
        assertThat(actions.get(1).get("detector").asText()).isEqualTo("underfitting");
        assertThat(actions.get(1).get("issuedStep").asLong()).isEqualTo(40);
    }

    @Test
    void theLeastRecentlyUpdatedRunIsEvictedAndThePushSaysSo() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxRuns", 3)), clock);
        for (String id : List.of("a", "b", "c")) {
            store.apply(Topics.TRAINING_EVENTS, id, EventCodec.write(step(id, 0, 1)));
            clock.advance(Duration.ofSeconds(1));
        }
        store.apply(Topics.TRAINING_EVENTS, "a", EventCodec.write(step("a", 1, 1)));
        clock.advance(Duration.ofSeconds(1));
        store.drain();
        store.apply(Topics.TRAINING_EVENTS, "d", EventCodec.write(step("d", 0, 1)));
        assertThat(store.runs()).extracting(LiveViews.RunSummary::runId).containsExactly("d", "a", "c");
        assertThat(store.run("b")).isNull();
        JsonNode push = STRICT.readTree(store.drain().json(null));
        assertThat(push.get("evicted")).extracting(JsonNode::asText).containsExactly("b");
        assertThat(push.get("points")).isEmpty();
    }

    @Test
    void pushesCarryOnlyTheShownRunsPointsAndOverflowAsksForAReload() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxPendingPoints", 10)), clock);
        assertThat(store.drain()).isNull();
        for (int i = 0; i < 5; i++) {
            store.apply(Topics.TRAINING_EVENTS, "a", EventCodec.write(step("a", i, 1)));
            store.apply(Topics.TRAINING_EVENTS, "b", EventCodec.write(step("b", i, 2)));
        }
        LiveStore.Delta d = store.drain();
        assertThat(d.seq()).isEqualTo(1);
        JsonNode forA = STRICT.readTree(d.json("a"));
        assertThat(forA.get("type").asText()).isEqualTo("delta");
        assertThat(forA.at("/points/a/loss/steps")).hasSize(5);
        assertThat(forA.at("/points/b").isMissingNode()).isTrue();
        assertThat(forA.get("runs")).hasSize(2);
        assertThat(store.drain()).as("nothing new").isNull();

        for (int i = 5; i < 40; i++) {
            store.apply(Topics.TRAINING_EVENTS, "a", EventCodec.write(step("a", i, 1)));
        }
        JsonNode overflow = STRICT.readTree(store.drain().json("a"));
        assertThat(overflow.get("seq").asLong()).isEqualTo(2);
        assertThat(overflow.get("resync")).extracting(JsonNode::asText).containsExactly("a");
        assertThat(overflow.get("points")).isEmpty();
        assertThat(STRICT.readTree(LiveJson.write(store.run("a"))).at("/series/loss/steps")).hasSize(40);
    }

    @Test
    void aPushCarriesTheConfigOnlyAfterRunStarted() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r", EventCodec.write(started("r")));
        assertThat(STRICT.readTree(store.drain().json("r")).at("/runs/0/config/optimizer").asText()).isEqualTo("adam");
        store.apply(Topics.TRAINING_EVENTS, "r", EventCodec.write(step("r", 0, 1)));
        JsonNode next = STRICT.readTree(store.drain().json("r"));
        assertThat(next.at("/runs/0/step").asLong()).isZero();
        assertThat(next.at("/runs/0/config").isMissingNode()).isTrue();
        assertThat(STRICT.readTree(LiveJson.write(store.runs())).at("/0/config/optimizer").asText()).isEqualTo("adam");
    }

    @Test
    void layersBeyondTheLimitAreLeftOut() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxLayers", 2)), clock);
        Map<String, Double> norms = new LinkedHashMap<>();
        for (int l = 0; l < 5; l++) {
            norms.put("layer" + l, 0.1 * (l + 1));
        }
        store.apply(Topics.TRAINING_EVENTS, "r", EventCodec.write(new StepEvent(1, "r", T0, null, null, 0, 0, 1.0, null,
                null, null, norms, null, null, null, null)));
        JsonNode series = STRICT.readTree(LiveJson.write(store.run("r"))).get("series");
        assertThat(series.fieldNames()).toIterable().containsExactly("loss", "grad:layer0", "grad:layer1");
    }

    @Test
    void aStudyBecomesARankedLeaderboardWithItsRangeTest() throws Exception {
        LiveStore store = new LiveStore(config(Map.of("maxStudies", 2, "maxTrials", 2)), clock);
        String doc = "{\"schemaVersion\":1,\"id\":\"s1\",\"spec\":{\"name\":\"demo\",\"objective\":\"minimize-validation-loss\"},"
                + "\"status\":\"running\",\"rounds\":[{}],\"trials\":["
                + "{\"trialId\":\"t0\",\"runId\":\"r0\",\"status\":\"completed\",\"best\":0.5},"
                + "{\"trialId\":\"t1\",\"runId\":\"r1\",\"status\":\"diverged\",\"best\":NaN},"
                + "{\"trialId\":\"t2\",\"runId\":\"r2\",\"status\":\"completed\",\"best\":0.3,\"params\":{\"lr\":0.01,\"act\":\"relu\"}},"
                + "{\"trialId\":\"t3\",\"runId\":\"r3\",\"status\":\"queued\"}, 42],"
                + "\"preflight\":{\"initialLoss\":{\"loss\":1.61,\"ok\":true},\"lrRangeTest\":{\"points\":[[1e-5,1.6],[1e-3,\"NaN\"],[1e-2,0.9],[\"x\",1],[0.1]],"
                + "\"range\":[0.001,0.05],\"steps\":100}}}";
        store.apply(Topics.TUNER_STUDIES, "s1", doc.getBytes(StandardCharsets.UTF_8));
        JsonNode s = STRICT.readTree(LiveJson.write(store.studies())).get(0);
        assertThat(s.get("name").asText()).isEqualTo("demo");
        assertThat(s.get("trialCount").asInt()).isEqualTo(4);
        assertThat(s.get("trials")).extracting(t -> t.get("trialId").asText()).containsExactly("t2", "t0");
        assertThat(s.at("/trials/0/params/act").asText()).isEqualTo("relu");
        assertThat(s.at("/preflight/lrRangeTest/points")).hasSize(3);
        assertThat(s.at("/preflight/lrRangeTest/points/1/1").asText()).isEqualTo("NaN");
        assertThat(s.at("/preflight/lrRangeTest/range/1").asDouble()).isEqualTo(0.05);
        assertThat(s.at("/preflight/lrRangeTest/steps").asDouble()).isEqualTo(100);
        assertThat(s.at("/preflight/initialLoss/ok").asBoolean()).isTrue();

        // maximise: best first the other way round; the least recently received study goes beyond maxStudies.
        clock.advance(Duration.ofSeconds(1));
        store.apply(Topics.TUNER_STUDIES, "s2", ("{\"id\":\"s2\",\"spec\":{\"objective\":\"maximize-validation-accuracy\"},"
                + "\"trials\":[{\"trialId\":\"a\",\"best\":0.5},{\"trialId\":\"b\",\"best\":0.9}]}").getBytes(StandardCharsets.UTF_8));
        clock.advance(Duration.ofSeconds(1));
        store.apply(Topics.TUNER_STUDIES, "s3", "{\"id\":\"s3\"}".getBytes(StandardCharsets.UTF_8));
        JsonNode studies = STRICT.readTree(LiveJson.write(store.studies()));
        assertThat(studies).extracting(x -> x.get("studyId").asText()).containsExactly("s3", "s2");
        assertThat(studies.get(1).get("trials")).extracting(t -> t.get("trialId").asText()).containsExactly("b", "a");
        assertThat(STRICT.readTree(store.drain().json(null)).get("removedStudies")).extracting(JsonNode::asText).containsExactly("s1");

        store.apply(Topics.TUNER_STUDIES, "s2", null); // tombstone
        assertThat(store.studies()).hasSize(1);
    }

    @Test
    void aLongRunsSeriesStayWithinTheirBound() throws Exception {
        LiveStore store = new LiveStore(config(Map.of()), clock);
        store.apply(Topics.TRAINING_EVENTS, "r", EventCodec.write(started("r")));
        byte[][] steps = new byte[20_000][];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = EventCodec.write(step("r", i, 1.0 / (i + 1)));
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 20_000; i++) {
            store.apply(Topics.TRAINING_EVENTS, "r", steps[i]);
            if (i % 100 == 99) {
                store.apply(Topics.TRAINING_EVENTS, "r", EventCodec.write(new ValidationEvent(1, "r", T0, null, null, i, 0,
                        null, null, 1.0, 0.5)));
            }
            if (i % 1000 == 0) {
                store.drain();
            }
        }
        // loss, accuracy, learning rate, 2 layers: at most 1,000 points each at 12 bytes; 200 validations.
        long nanos = System.nanoTime() - t0;
        long bytes = store.seriesBytes("r");
        System.out.printf("Live page: a 20,000-step run with 2 layers holds %,d bytes of series; applied (decode"
                + " included) at %,.0f events/s%n", bytes, 20_200 / (nanos / 1e9));
        assertThat(bytes).isLessThanOrEqualTo(5 * (12L * 1002 + 200) + 2 * (12L * 256 + 200));
        JsonNode run = STRICT.readTree(LiveJson.write(store.run("r")));
        assertThat(run.at("/series/loss/steps").size()).isBetween(500, 1000);
        assertThat(run.at("/series/loss/steps/0").asLong()).isLessThan(64);
    }

    private static RunStarted started(String runId) {
        RunConfig c = new RunConfig("plateau", "blobs", 5, "cross-entropy",
                List.of(new LayerInfo("layer0", "dense", 20, 64, "relu", "xavier"),
                        new LayerInfo("out", "output", 64, 5, "softmax", "xavier")),
                "adam", 0.03, 32, 10, 0.0, 0.0, 1L);
        return new RunStarted(1, runId, T0, null, null, c, "nd4j-native", "cpu");
    }

    private static StepEvent step(String runId, long step, double loss) {
        Map<String, Double> norms = new LinkedHashMap<>();
        norms.put("layer0", 0.5);
        norms.put("out", 0.7);
        return new StepEvent(1, runId, T0.plusMillis(step), null, null, step, 0, loss, 0.5, 0.03, 1.0, norms, null,
                null, null, null);
    }

    private static Alert alert(String id, String status, String detector, long step) {
        return new Alert(1, id, status, "r1", null, null, detector, Alert.INFO, step, 0, T0, detector + " " + status,
                Map.of("smoothedLoss", 0.3), "decay the learning rate", Alert.ACTION_DECAY_LR);
    }

    static LiveConfig config(Map<String, Integer> overrides) {
        return new LiveConfig() {
            public boolean enabled() {
                return true;
            }

            public Duration lookback() {
                return Duration.ofHours(6);
            }

            public int maxRuns() {
                return overrides.getOrDefault("maxRuns", 200);
            }

            public int maxPoints() {
                return overrides.getOrDefault("maxPoints", 1000);
            }

            public int maxLayers() {
                return overrides.getOrDefault("maxLayers", 32);
            }

            public int maxAlerts() {
                return overrides.getOrDefault("maxAlerts", 100);
            }

            public int maxActions() {
                return overrides.getOrDefault("maxActions", 50);
            }

            public int maxStudies() {
                return overrides.getOrDefault("maxStudies", 50);
            }

            public int maxTrials() {
                return overrides.getOrDefault("maxTrials", 100);
            }

            public Duration pushInterval() {
                return Duration.ofMillis(250);
            }

            public int maxPendingPoints() {
                return overrides.getOrDefault("maxPendingPoints", 500);
            }
        };
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private Instant now = T0;

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
