package io.trainwatch.trainer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.trainer.command.CommandListener;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** The trainer over the real test broker: what it writes on training.events, and how it obeys commands and trials. */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainerKafkaIT {

    @Inject
    CommandListener commands;

    private KafkaConsumer<String, byte[]> events;
    private KafkaProducer<String, byte[]> producer;
    private final List<TrainingEvent> seen = new ArrayList<>();

    @BeforeAll
    void clients() {
        Map<String, Object> c = TestKafka.consumerConfig("unused");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        events = new KafkaConsumer<>(c);
        List<TopicPartition> tps = events.partitionsFor(Topics.TRAINING_EVENTS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        events.assign(tps);
        events.seekToBeginning(tps);
        Map<String, Object> p = TestKafka.producerConfig();
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    @AfterAll
    void close() {
        events.close();
        producer.close();
    }

    private synchronized List<TrainingEvent> of(String runId) {
        for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(200))) {
            ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(r.value());
            assertThat(read.error()).as("every event the trainer writes is valid").isNull();
            assertThat(r.key()).isEqualTo(read.value().runId());
            seen.add(read.value());
        }
        return seen.stream().filter(e -> e.runId().equals(runId)).toList();
    }

    private List<TrainingEvent> untilFinished(String runId, int seconds) {
        await().atMost(seconds, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> of(runId).stream().anyMatch(e -> e instanceof RunFinished));
        return of(runId);
    }

    private static <T> List<T> only(List<TrainingEvent> all, Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private String start(String body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/runs")
                .then().statusCode(202).extract().path("runId");
    }

    private void send(String topic, String key, Object message) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, EventCodec.write(message))).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aHealthyRunStreamsEveryStepWithEveryCoreField() {
        String runId = start("{\"scenario\": \"healthy\", \"steps\": 60}");
        List<TrainingEvent> all = untilFinished(runId, 120);

        assertThat(all.get(0)).isInstanceOf(RunStarted.class);
        RunStarted started = (RunStarted) all.get(0);
        assertThat(started.config().numClasses()).isEqualTo(3);
        assertThat(started.config().lossFunction()).isEqualTo("cross-entropy");
        assertThat(started.config().scenario()).isEqualTo("healthy");
        assertThat(started.backend()).isEqualTo("nd4j-native");
        assertThat(started.device()).isNotBlank();
        List<String> layers = started.config().layers().stream().map(LayerInfo::name).toList();
        assertThat(layers).containsExactly("layer0", "layer1", "layer2");

        List<StepEvent> steps = only(all, StepEvent.class);
        assertThat(steps).extracting(StepEvent::step).containsExactlyElementsOf(
                java.util.stream.LongStream.range(0, 60).boxed().toList());
        for (StepEvent s : steps) {
            assertThat(s.loss()).isFinite();
            assertThat(s.accuracy()).isBetween(0.0, 1.0);
            assertThat(s.learningRate()).isEqualTo(0.005);
            assertThat(s.gradientNorm()).isPositive();
            assertThat(s.layerGradientNorms().keySet()).containsExactlyElementsOf(layers);
            assertThat(s.parameterNorms().keySet()).containsExactlyElementsOf(layers);
            assertThat(s.updateRatios().keySet()).containsExactlyElementsOf(layers);
            assertThat(s.layerGradientNorms().values()).allSatisfy(v -> assertThat(v).isPositive().isFinite());
            assertThat(s.stepMillis()).isPositive();
            assertThat(s.examplesPerSecond()).isPositive();
        }
        assertThat(only(all, ValidationEvent.class)).isNotEmpty()
                .allSatisfy(v -> assertThat(v.validationLoss()).isFinite());
        RunFinished finished = only(all, RunFinished.class).get(0);
        assertThat(finished.status()).isEqualTo(RunFinished.COMPLETED);
        assertThat(finished.step()).isEqualTo(59);
        assertThat(finished.droppedEvents()).isZero();
        assertThat(all.get(all.size() - 1)).isInstanceOf(RunFinished.class);

        given().when().get("/runs/" + runId).then().statusCode(200)
                .body("status", equalTo("completed")).body("step", equalTo(59));
        given().when().get("/runs/" + runId + "/progress").then().statusCode(200)
                .body(containsString("status=completed step=59"));
        List<Integer> validated = only(all, ValidationEvent.class).stream().map(v -> (int) v.step()).toList();
        given().when().get("/runs/" + runId + "/validations").then().statusCode(200)
                .body("step", equalTo(validated))
                .body("[0].validationLoss", org.hamcrest.Matchers.notNullValue())
                .body("[0].trainAccuracy", org.hamcrest.Matchers.notNullValue());
        given().when().get("/runs/no-such-run/validations").then().statusCode(404);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("trainer_events_published_total"))
                .body(containsString("trainer_telemetry_queue_depth"))
                .body(containsString("trainer_step_seconds_count"));
    }

    @Test
    void aSetLearningRateCommandIsAppliedOnceAndStopEndsTheRun() throws Exception {
        await().atMost(30, TimeUnit.SECONDS).until(commands::isReady);
        String runId = start("{\"scenario\": \"healthy\", \"steps\": 100000}");
        await().atMost(60, TimeUnit.SECONDS).until(() -> only(of(runId), StepEvent.class).size() >= 20);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("trainer_loss{run=\"" + runId + "\"}"))
                .body(containsString("trainer_layer_gradient_norm{layer=\"layer0\",run=\"" + runId + "\"}"));

        TunerCommand decay = new TunerCommand(Contract.SCHEMA_VERSION, "cmd-" + runId, runId,
                TunerCommand.SET_LEARNING_RATE, 0.0005, "plateau", "alert-1", Instant.now(), null, null);
        send(Topics.TUNER_COMMANDS, runId, decay);
        send(Topics.TUNER_COMMANDS, runId, decay); // a duplicate: no second effect
        send(Topics.TUNER_COMMANDS, "other-run", new TunerCommand(Contract.SCHEMA_VERSION, "cmd-x", "no-such-run",
                TunerCommand.STOP, null, "not ours", null, Instant.now(), null, null));
        await().atMost(30, TimeUnit.SECONDS).until(() -> !only(of(runId), CommandApplied.class).isEmpty());
        CommandApplied applied = only(of(runId), CommandApplied.class).get(0);
        assertThat(applied.commandId()).isEqualTo("cmd-" + runId);
        assertThat(applied.details()).containsEntry("previousLearningRate", 0.005).containsEntry("learningRate", 0.0005);
        await().atMost(30, TimeUnit.SECONDS).until(() -> only(of(runId), StepEvent.class).stream()
                .filter(s -> s.step() >= applied.step()).count() >= 5);

        send(Topics.TUNER_COMMANDS, runId, new TunerCommand(Contract.SCHEMA_VERSION, "stop-" + runId, runId,
                TunerCommand.STOP, null, "enough", null, Instant.now(), null, null));
        List<TrainingEvent> all = untilFinished(runId, 60);
        for (StepEvent s : only(all, StepEvent.class)) {
            assertThat(s.learningRate()).as("step %d", s.step()).isEqualTo(s.step() < applied.step() ? 0.005 : 0.0005);
        }
        assertThat(only(all, CommandApplied.class)).extracting(CommandApplied::commandId)
                .containsExactly("cmd-" + runId, "stop-" + runId);
        RunFinished finished = only(all, RunFinished.class).get(0);
        assertThat(finished.status()).isEqualTo(RunFinished.STOPPED);
        assertThat(finished.reason()).contains("enough");
        given().when().get("/runs/" + runId).then().body("status", equalTo("stopped"))
                .body("checkpoint", containsString(runId + ".zip"));
        given().when().get("/q/metrics").then().body(org.hamcrest.Matchers.not(containsString("run=\"" + runId + "\"")));
    }

    @Test
    void aTrialRunsWithItsIdsAndBudget() throws Exception {
        String runId = "trial-run-" + System.nanoTime();
        Trial trial = new Trial(Contract.SCHEMA_VERSION, "study-1", "trial-7", runId,
                Map.of("learningRate", 0.01, "width", 32, "layers", 1), new Trial.Budget(40L, null), Trial.RANDOM,
                Map.of("scenario", "healthy"), Instant.now());
        send(Topics.TUNER_TRIALS, runId, trial);
        List<TrainingEvent> all = untilFinished(runId, 120);
        assertThat(all).allSatisfy(e -> {
            assertThat(e.studyId()).isEqualTo("study-1");
            assertThat(e.trialId()).isEqualTo("trial-7");
        });
        RunStarted started = only(all, RunStarted.class).get(0);
        assertThat(started.config().learningRate()).isEqualTo(0.01);
        assertThat(started.config().layers()).extracting(LayerInfo::nOut).containsExactly(32, 3);
        assertThat(only(all, StepEvent.class)).hasSize(40);
        assertThat(only(all, RunFinished.class).get(0).status()).isEqualTo(RunFinished.COMPLETED);
    }

    @Test
    void aRangeTestRunStreamsTheRateOfEachStepOfTheRamp() {
        String runId = start("{\"dataset\": \"xor\", \"hiddenLayers\": [8], \"optimizer\": \"sgd\", \"steps\": 25, "
                + "\"batchNorm\": true, \"schedule\": {\"type\": \"range\", \"from\": 1e-4, \"to\": 0.3, \"steps\": 20}}");
        List<TrainingEvent> all = untilFinished(runId, 120);
        RunStarted started = only(all, RunStarted.class).get(0);
        assertThat(started.config().schedule()).containsEntry("type", "range").containsEntry("from", 1e-4)
                .containsEntry("to", 0.3).containsEntry("steps", 20);
        assertThat(started.config().batchNorm()).isTrue();
        assertThat(started.config().subsetBatches()).isNull();
        List<StepEvent> steps = only(all, StepEvent.class);
        assertThat(steps).hasSize(25);
        for (StepEvent s : steps) {
            double expected = s.step() >= 19 ? 0.3 : 1e-4 * Math.pow(0.3 / 1e-4, s.step() / 19.0);
            assertThat(Math.abs(s.learningRate() - expected) / expected).as("step %d", s.step()).isLessThan(1e-12);
        }
        assertThat(only(all, RunFinished.class).get(0).status()).isEqualTo(RunFinished.COMPLETED);
    }

    @Test
    void aBadScheduleOrSubsetIsA400NamingTheField() {
        given().contentType(ContentType.JSON).body("{\"schedule\": {\"type\": \"range\", \"from\": 1, \"to\": 0.1, "
                + "\"steps\": 10}}").when().post("/runs").then().statusCode(400).body("field", equalTo("schedule.to"));
        given().contentType(ContentType.JSON).body("{\"lrSchedule\": {\"10\": 0.001}, \"schedule\": {\"type\": \"constant\"}}")
                .when().post("/runs").then().statusCode(400).body("field", equalTo("schedule"));
        given().contentType(ContentType.JSON).body("{\"subsetBatches\": 0}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("subsetBatches"));
        given().contentType(ContentType.JSON).body("{\"batchNorm\": \"on\"}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("batchNorm"));
    }

    @Test
    void aBadConfigurationIsA400NamingTheField() {
        given().contentType(ContentType.JSON).body("{\"hiddenLayers\": [64, -1]}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("hiddenLayers[1]"));
        given().contentType(ContentType.JSON).body("{\"scenario\": \"healthy\", \"steps\": -3}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("steps"));
        given().contentType(ContentType.JSON).body("{\"scenario\": \"no-such\"}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("scenario"));
        given().contentType(ContentType.JSON).body("{\"learningrate\": 0.1}").when().post("/runs")
                .then().statusCode(400).body("field", equalTo("learningrate"));
        given().when().get("/runs/nope").then().statusCode(404);
        given().when().post("/runs/nope/stop").then().statusCode(404);
        given().when().get("/scenarios").then().statusCode(200).body("name", org.hamcrest.Matchers.hasItems(
                "healthy", "vanishing-gradients", "exploding-gradients", "bad-initialization", "plateau",
                "lr-decayed-too-early", "overfitting", "underfitting"));
    }
}
