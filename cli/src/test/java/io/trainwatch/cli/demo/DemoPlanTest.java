package io.trainwatch.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemoPlanTest {

    private static JsonNode json(String s) throws Exception {
        return EventCodec.MAPPER.readTree(s);
    }

    private static final String SCENARIOS = """
            [{"name": "healthy", "pathology": "none", "defaultSteps": 300,
              "config": {"dataset": {"type": "spirals", "classes": 3}, "hiddenLayers": [64, 64], "learningRate": 0.005,
                         "optimizer": "adam"}},
             {"name": "lr-decayed-too-early", "pathology": "lr-decayed-too-early", "defaultSteps": 250,
              "config": {"dataset": "iris", "learningRate": 0.005, "lrSchedule": {"30": 5e-6}, "seed": 7,
                         "validateEverySteps": 10}}]""";

    @Test
    void eachScenarioBecomesAOneTrialStudyOfItsOwnDataModelRateAndSeed() throws Exception {
        List<DemoPlan.Study> plan = DemoPlan.studies(json(SCENARIOS), "abc", List.of(), false);
        assertThat(plan).extracting(DemoPlan.Study::label).containsExactly("healthy", "lr-decayed-too-early");
        DemoPlan.Study healthy = plan.get(0);
        assertThat(healthy.studyId()).isEqualTo("demo-healthy-abc");
        assertThat(healthy.expected()).isEqualTo(DemoPlan.NONE);
        ObjectNode r = healthy.request();
        assertThat(r.path("dataset").path("type").asText()).isEqualTo("spirals");
        assertThat(r.path("space").path("learningRate").path("min").asDouble()).isEqualTo(0.005);
        assertThat(r.path("space").path("learningRate").path("max").asDouble()).isEqualTo(0.005);
        assertThat(r.path("budget").path("trials").asInt()).isEqualTo(1);
        assertThat(r.path("budget").path("stepsPerTrial").asInt()).isEqualTo(300);
        assertThat(r.path("model").has("learningRate")).as("the rate is the space's").isFalse();
        assertThat(r.path("model").has("dataset")).isFalse();
        assertThat(r.path("model").path("seed").asLong()).as("the trainer's default seed").isEqualTo(42);
        assertThat(r.path("model").path("validateEverySteps").asInt()).isEqualTo(DemoPlan.VALIDATE_EVERY_STEPS);

        ObjectNode early = plan.get(1).request();
        assertThat(early.path("model").path("seed").asLong()).isEqualTo(7);
        assertThat(early.path("model").path("validateEverySteps").asInt()).isEqualTo(10);
        assertThat(early.path("model").path("lrSchedule").path("30").asDouble()).isEqualTo(5e-6);
        assertThat(early.path("budget").path("stepsPerTrial").asInt()).isEqualTo(250);
    }

    @Test
    void aScenarioWithADl4jModelIsSentAsThePresetItself() throws Exception {
        String cnn = """
                [{"name": "cnn-vanishing-gradients", "pathology": "vanishing-gradients", "defaultSteps": 100,
                  "config": {"dataset": {"type": "images", "shape": [12, 12, 1], "classes": 4},
                             "model": {"format": "dl4j", "config": {"confs": []}}, "optimizer": "sgd",
                             "learningRate": 0.1, "batchSize": 32}}]""";
        DemoPlan.Study study = DemoPlan.studies(json(cnn), "abc", List.of(), false).get(0);
        assertThat(study.expected()).isEqualTo("vanishing-gradients");
        ObjectNode r = study.request();
        // The tuner's study model has no DL4J configuration field: the trainer starts from the preset by name.
        assertThat(r.path("model").path("scenario").asText()).isEqualTo("cnn-vanishing-gradients");
        assertThat(r.path("model").has("model")).isFalse();
        assertThat(r.path("model").has("optimizer")).isFalse();
        assertThat(r.path("model").path("seed").asLong()).isEqualTo(42);
        assertThat(r.path("dataset").path("type").asText()).isEqualTo("images");
        assertThat(r.path("space").path("learningRate").path("min").asDouble()).isEqualTo(0.1);
        assertThat(r.path("budget").path("stepsPerTrial").asInt()).isEqualTo(100);
    }

    @Test
    void onlyKeepsTheNamedScenariosAndTheStudiesComeLast() throws Exception {
        List<DemoPlan.Study> plan = DemoPlan.studies(json(SCENARIOS), "x1", List.of("lr-decayed-too-early"), true);
        assertThat(plan).extracting(DemoPlan.Study::label)
                .containsExactly("lr-decayed-too-early", DemoPlan.SEARCH, DemoPlan.PROCEDURE);
        assertThat(plan.get(2).expected()).isNull();
        assertThat(plan.get(2).request().path("preflight").path("lrRangeTest").path("to").asDouble()).isEqualTo(10);
        DemoPlan.Study search = plan.get(1);
        assertThat(search.expected()).isNull();
        assertThat(search.studyId()).isEqualTo("demo-search-x1");
        assertThat(search.request().path("budget").path("trials").asInt()).isEqualTo(6);
    }

    @Test
    void aBadScenarioListIsAClearError() throws Exception {
        assertThatThrownBy(() -> DemoPlan.studies(json("{\"error\": \"x\"}"), "a", List.of(), false))
                .hasMessageContaining("not a JSON array");
        assertThatThrownBy(() -> DemoPlan.studies(json("[{\"name\": \"n\", \"config\": {}}]"), "a", List.of(), false))
                .hasMessageContaining("scenario n has no config with a dataset");
    }
}
