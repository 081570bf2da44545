package io.trainwatch.tuner.api;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.tuner.FakeTrainer;
import io.trainwatch.tuner.TopicReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The tuner over the real broker, with a fake trainer (test code standing in for the trainer service) and
 * the test itself raising the monitor's alerts.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class StudyApiIT {

    static KafkaProducer<String, String> alerts;

    @BeforeAll
    static void producer() {
        alerts = new KafkaProducer<>(TestKafka.producerConfig());
    }

    /** The tuner serves studies once it is the active instance and has reloaded them (its readiness). */
    @BeforeEach
    void active() {
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/q/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void close() {
        alerts.close();
    }

    static String study(String id, int trials, int concurrent, int rounds) {
        return """
                {"id": "%s", "name": "api test", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-4, "max": 1},
                           "dropout": {"type": "uniform", "min": 0, "max": 0.5},
                           "width": {"type": "integer", "min": 8, "max": 128},
                           "activation": {"type": "categorical", "values": ["relu", "tanh", "sigmoid"]}},
                 "budget": {"trials": %d, "concurrentTrials": %d, "stepsPerTrial": 100, "rounds": %d},
                 "dataset": {"type": "spirals", "classes": 3}, "model": {"optimizer": "sgd"}, "seed": 11}
                """.formatted(id, trials, concurrent, rounds);
    }

    static void post(String body) {
        given().contentType(ContentType.JSON).body(body).when().post("/studies").then().statusCode(201);
    }

    static void alert(String runId, String detector, long step) {
        Alert a = new Alert(Contract.SCHEMA_VERSION, Alert.fingerprint(runId, detector, step), Alert.FIRING, runId, null,
                null, detector, Alert.WARNING, step, 0, Instant.now(), detector + " seen", Map.of(), null, null);
        alerts.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, runId, EventCodec.writeString(a)));
        alerts.flush();
    }

    static JsonPath get(String id) {
        return given().when().get("/studies/" + id).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void aBadStudyIsA400NamingTheField() {
        given().contentType(ContentType.JSON).body(study("bad", 0, 1, 1)).when().post("/studies")
                .then().statusCode(400).body("field", equalTo("budget.trials"));
        given().contentType(ContentType.JSON).body(study("bad", 4, 1, 1).replace("\"min\": 1e-4", "\"min\": -1"))
                .when().post("/studies").then().statusCode(400).body("field", equalTo("space.learningRate.min"));
        given().contentType(ContentType.JSON).body("{nope").when().post("/studies")
                .then().statusCode(400).body("field", equalTo("body"));
        given().when().get("/studies/none-such").then().statusCode(404);
        given().when().post("/studies/none-such/stop").then().statusCode(404);
    }

    @Test
    void plateauLeadsToAConfirmedSetLearningRate() {
        try (FakeTrainer trainer = new FakeTrainer("plateau-loop", t -> FakeTrainer.Outcome.run())) {
            post(study("plateau-loop", 1, 1, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.containsKey("plateau-loop-t000"));
            FakeTrainer.Running run = trainer.open.get("plateau-loop-t000");
            double before = run.learningRate;
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(
                    get("plateau-loop").getString("leaderboard[0].status")));

            alert("plateau-loop-t000", "plateau", 60);

            await().atMost(Duration.ofSeconds(30)).until(() -> !trainer.commands.isEmpty());
            TunerCommand c = trainer.commands.get(0);
            assertThat(c.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(c.learningRate()).isCloseTo(before * 0.1, org.assertj.core.data.Offset.offset(before * 1e-9));
            assertThat(c.alertId()).isEqualTo(Alert.fingerprint("plateau-loop-t000", "plateau", 60));
            // the trainer's next step shows the new rate
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(trainer.steps.get(trainer.steps.size() - 1).learningRate()).isEqualTo(c.learningRate()));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                List<String> actions = get("plateau-loop").getList("leaderboard[0].decisions.action");
                assertThat(actions).containsExactly("set-learning-rate", "confirmed");
            });
            JsonPath s = get("plateau-loop");
            assertThat(s.getString("leaderboard[0].decisions[0].policy")).isEqualTo("plateau");
            assertThat(s.getString("leaderboard[0].decisions[0].alertId")).isEqualTo(c.alertId());
            trainer.finish("plateau-loop-t000", 0.8);
            await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(get("plateau-loop").getString("status")));
        }
    }

    @Test
    void divergenceStopsTheTrialAndLowersTheLearningRateCeiling() {
        try (FakeTrainer trainer = new FakeTrainer("diverge-loop", t -> FakeTrainer.Outcome.run())) {
            post(study("diverge-loop", 2, 1, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.containsKey("diverge-loop-t000"));
            double lr = trainer.open.get("diverge-loop-t000").learningRate;
            await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(
                    get("diverge-loop").getString("leaderboard[0].status")));

            alert("diverge-loop-t000", "divergence", 12);

            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.commands.stream()
                    .anyMatch(c -> c.type().equals(TunerCommand.STOP)));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonPath s = get("diverge-loop");
                Map<String, Object> t0 = s.getList("leaderboard", Map.class).stream()
                        .filter(m -> "t000".equals(m.get("trialId"))).findFirst().orElseThrow();
                assertThat(t0.get("status")).isEqualTo("stopped");
                assertThat(t0.get("stopReason")).isEqualTo("divergence");
                double ceiling = s.getDouble("currentSpace.learningRate.max");
                assertThat(ceiling).isLessThan(1.0).isLessThanOrEqualTo(Math.max(lr * 0.5, 1e-3) * (1 + 1e-9));
            });
            // the budget goes on: the next trial is the remedy at a tenth of the rate
            await().atMost(Duration.ofSeconds(30)).until(() -> trainer.open.containsKey("diverge-loop-t001"));
            Trial next = trainer.received.get(1);
            assertThat(next.origin()).isEqualTo(Trial.REMEDY);
            assertThat((double) next.hyperparameters().get("learningRate")).isLessThan(lr);
            trainer.finish("diverge-loop-t001", 0.7);
            await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(get("diverge-loop").getString("status")));
        }
    }

    @Test
    void aStudyRunsToItsBudgetAndNarrows() {
        // Accuracy peaks at a learning rate of 1e-2; the trainer finishes every trial at once.
        FakeTrainer.Script script = t -> {
            double lr = ((Number) t.hyperparameters().get("learningRate")).doubleValue();
            return FakeTrainer.Outcome.finish(Math.max(0.1, 0.95 - 0.15 * Math.abs(Math.log10(lr) + 2)));
        };
        try (FakeTrainer trainer = new FakeTrainer("budget-run", script)) {
            post(study("budget-run", 8, 2, 2));
            await().atMost(Duration.ofSeconds(60)).until(() -> "completed".equals(get("budget-run").getString("status")));
            JsonPath s = get("budget-run");
            assertThat(s.getList("leaderboard")).hasSize(8);
            assertThat(s.getList("rounds")).hasSize(2);
            assertThat(s.getList("leaderboard.origin")).containsOnly("random", "refine");
            assertThat(s.getInt("rounds[1].stepsPerTrial")).as("refined rounds train as long by default").isEqualTo(100);
            assertThat(s.getLong("steps.planned")).isEqualTo(800);
            assertThat(s.getLong("steps.spent")).as("every trial trained its 100 steps").isEqualTo(800);
            assertThat(s.getLong("stepsTrained")).isEqualTo(800);
            assertThat(s.getList("warnings")).as("2 at once is what one trainer runs").isNull();
            assertThat(s.getDouble("rounds[1].space.learningRate.max") / s.getDouble("rounds[1].space.learningRate.min"))
                    .isLessThan(1e4);
            assertThat(s.getList("leaderboard.best", Double.class)).doesNotContainNull()
                    .isSortedAccordingTo((a, b) -> Double.compare(b, a));
            assertThat(s.getString("rounds[1].how")).startsWith("narrowed around the top 2 trials");
            assertThat(s.getList("decisions.action")).contains("narrow", "complete");
            List<Trial> published = TopicReader.readAll(Topics.TUNER_TRIALS).stream()
                    .map(r -> EventCodec.readTrial(r.value())).filter(ReadResult::isValid).map(ReadResult::value)
                    .filter(t -> t.studyId().equals("budget-run")).toList();
            assertThat(published).extracting(Trial::trialId).doesNotHaveDuplicates().hasSize(8);
            given().when().get("/studies/budget-run/text").then().statusCode(200)
                    .header("X-Study-Status", "completed").body(containsString("t007"));
            given().when().get("/studies").then().statusCode(200).body(containsString("budget-run"));
            String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metrics).contains("tuner_studies{status=\"completed\"}").contains("tuner_trials{status=\"completed\"}")
                    .contains("tuner_study_best{study=\"budget-run\"}").contains("tuner_decisions_total{action=\"narrow\"");
        }
    }

    @Test
    void aStudyAskingForMoreTrialsAtOnceThanTheWorkersRunIsToldSoInItsAnswer() {
        JsonPath created = given().contentType(ContentType.JSON).body(study("too-wide", 8, 4, 1)).when()
                .post("/studies").then().statusCode(201).extract().jsonPath();
        assertThat(created.getList("warnings", String.class)).singleElement().asString()
                .startsWith("concurrentTrials 4 is more than the 2 trials").contains("worker-trial-slots");
        assertThat(created.getLong("steps.planned")).isEqualTo(800);
        assertThat(get("too-wide").getList("warnings")).hasSize(1);
        given().when().post("/studies/too-wide/stop").then().statusCode(200);
    }

    @Test
    void runsOutsideTheStudiesAreSteeredByTheirControlAndShownOverRest() {
        String suffix = Long.toString(System.nanoTime(), 36);
        String suggest = "api-suggest-" + suffix;
        String off = "api-off-" + suffix;
        for (String run : List.of(suggest, off)) {
            RunStarted started = new RunStarted(Contract.SCHEMA_VERSION, run, Instant.now(), null, null,
                    new RunConfig(null, "external", 3, "cross-entropy", List.of(), "sgd", 0.01, 32, null, 0.0, 0.0, 1L),
                    "external", "cpu", run.equals(suggest) ? new RunControl(RunControl.SUGGEST, 2, null, false) : null);
            alerts.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, run, EventCodec.writeString(started)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/runs/" + suggest).statusCode() == 200);
        alert(suggest, "plateau", 200);
        alert(off, "plateau", 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/runs/" + suggest).then().extract()
                .jsonPath().getInt("suggestions") == 1);
        JsonPath view = given().when().get("/runs/" + suggest).then().statusCode(200).extract().jsonPath();
        assertThat(view.getString("control.mode")).isEqualTo("suggest");
        assertThat(view.getInt("control.maxDecays")).isEqualTo(2);
        assertThat(view.getBoolean("control.allowStop")).isFalse();
        assertThat(view.getString("status")).isEqualTo("running");
        assertThat(view.getList("pending")).isEmpty();
        assertThat(view.getList("decisions.action", String.class)).containsExactly("start", "suggest");
        assertThat(view.getString("decisions[1].commandId")).endsWith("/lr");
        List<String> listed = given().when().get("/runs").then().statusCode(200).extract().jsonPath()
                .getList("runId", String.class);
        assertThat(listed).contains(suggest).doesNotContain(off);
        given().when().get("/runs/" + off).then().statusCode(404).body("error", containsString("control.mode"));
        given().when().get("/runs/" + off + "/validations").then().statusCode(404);
        for (long step : List.of(49L, 99L)) {
            alerts.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, suggest, EventCodec.writeString(new ValidationEvent(
                    Contract.SCHEMA_VERSION, suggest, Instant.now(), null, null, step, 0, 0.5, 0.8, 0.6, 0.7))));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/runs/" + suggest + "/validations")
                .then().statusCode(200).extract().jsonPath().getList("step").size() == 2);
        JsonPath validations = given().when().get("/runs/" + suggest + "/validations").then().extract().jsonPath();
        assertThat(validations.getList("step", Long.class)).containsExactly(49L, 99L);
        assertThat(validations.getDouble("[1].validationLoss")).isEqualTo(0.6);
        assertThat(validations.getDouble("[1].validationAccuracy")).isEqualTo(0.7);
        assertThat(validations.getDouble("[1].trainLoss")).isEqualTo(0.5);
        assertThat(validations.getDouble("[1].trainAccuracy")).isEqualTo(0.8);

        List<TunerCommand> published = TopicReader.readAll(Topics.TUNER_COMMANDS).stream()
                .filter(r -> suggest.equals(r.key()) || off.equals(r.key()))
                .map(r -> EventCodec.readCommand(r.value())).filter(ReadResult::isValid).map(ReadResult::value).toList();
        assertThat(published).singleElement().satisfies(c -> {
            assertThat(c.runId()).isEqualTo(suggest);
            assertThat(c.isSuggestion()).isTrue();
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(given().when().get("/q/metrics").then()
                .extract().asString()).contains("tuner_suggestions_total{type=\"set-learning-rate\"}")
                .contains("tuner_runs{mode=\"suggest\",status=\"running\"}"));
    }

    @Test
    void unreadableRecordsAreSkipped() {
        alerts.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, "x", "not json"));
        alerts.send(new ProducerRecord<>(Topics.TRAINING_EVENTS, "x", "{\"type\": \"step\"}"));
        alerts.flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> given().when().get("/q/metrics").then().extract().asString()
                .contains("tuner_records_rejected_total{topic=\"training.alerts\"}"));
        given().when().get("/q/health/ready").then().statusCode(200);
    }
}
