package io.trainwatch.tuner.preflight;

import io.trainwatch.tuner.study.InvalidStudyException;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudySpecParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PreflightSpecParserTest {

    static StudySpec parse(String preflight) {
        String json = """
                {"objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-4, "max": 1}},
                 "budget": {"trials": 4, "stepsPerTrial": 100}, "dataset": "spirals"%s}"""
                .formatted(preflight == null ? "" : ", \"preflight\": " + preflight);
        return StudySpecParser.parse(json).spec();
    }

    static void bad(String preflight, String field) {
        assertThatThrownBy(() -> parse(preflight)).isInstanceOf(InvalidStudyException.class)
                .satisfies(e -> assertThat(((InvalidStudyException) e).field()).isEqualTo(field));
    }

    @Test
    void absentFalseOrAllOffIsNoPreflight() {
        assertThat(parse(null).preflight()).isNull();
        assertThat(parse("null").preflight()).isNull();
        assertThat(parse("false").preflight()).isNull();
        assertThat(parse("{\"initialLoss\": false, \"overfitSubset\": {\"enabled\": false}, \"lrRangeTest\": false}")
                .preflight()).isNull();
    }

    @Test
    void trueOrAnEmptyObjectRunsEveryStepWithTheDefaults() {
        assertThat(parse("true").preflight()).isEqualTo(PreflightSpec.defaults());
        PreflightSpec p = parse("{}").preflight();
        assertThat(p).isEqualTo(PreflightSpec.defaults());
        assertThat(p.initialLoss().tolerance()).isEqualTo(3.0);
        assertThat(p.initialLoss().steps()).isEqualTo(5);
        assertThat(p.initialLoss().onFailure()).isEqualTo("stop");
        assertThat(p.overfitSubset().batches()).isEqualTo(5);
        assertThat(p.overfitSubset().maxSteps()).isEqualTo(500);
        assertThat(p.lrRangeTest().from()).isEqualTo(1e-6);
        assertThat(p.lrRangeTest().to()).isEqualTo(10);
        assertThat(p.lrRangeTest().steps()).isEqualTo(200);
        assertThat(p.lrRangeTest().smoothing()).isEqualTo(0.9);
        assertThat(p.lrRangeTest().divergeFactor()).isEqualTo(4);
    }

    @Test
    void eachStepIsSwitchableAndTunable() {
        PreflightSpec p = parse("""
                {"initialLoss": {"steps": 3, "tolerance": 2, "onFailure": "continue"},
                 "overfitSubset": {"batches": 10, "maxSteps": 300},
                 "lrRangeTest": false,
                 "hyperparameters": {"width": 64, "activation": "relu"}}""").preflight();
        assertThat(p.initialLoss()).isEqualTo(new PreflightSpec.InitialLoss(3, 2, "continue"));
        assertThat(p.overfitSubset()).isEqualTo(new PreflightSpec.OverfitSubset(10, 300, "stop"));
        assertThat(p.lrRangeTest()).isNull();
        assertThat(p.hyperparameters()).containsEntry("width", 64).containsEntry("activation", "relu");
        PreflightSpec q = parse("{\"initialLoss\": {\"enabled\": false}, \"lrRangeTest\": {\"from\": 1e-5, \"to\": 1,"
                + " \"steps\": 100, \"smoothing\": 0, \"divergeFactor\": 3}}").preflight();
        assertThat(q.initialLoss()).isNull();
        assertThat(q.overfitSubset()).isEqualTo(PreflightSpec.OverfitSubset.defaults());
        assertThat(q.lrRangeTest()).isEqualTo(new PreflightSpec.LrRangeTest(1e-5, 1, 100, 0, 3));
    }

    @Test
    void badValuesNameTheirField() {
        bad("1", "preflight");
        bad("\"yes\"", "preflight");
        bad("{\"initalLoss\": true}", "preflight.initalLoss");
        bad("{\"initialLoss\": {\"tolerance\": 1}}", "preflight.initialLoss.tolerance");
        bad("{\"initialLoss\": {\"tolerance\": \"NaN\"}}", "preflight.initialLoss.tolerance");
        bad("{\"initialLoss\": {\"steps\": 0}}", "preflight.initialLoss.steps");
        bad("{\"initialLoss\": {\"steps\": 2.5}}", "preflight.initialLoss.steps");
        bad("{\"initialLoss\": {\"onFailure\": \"ignore\"}}", "preflight.initialLoss.onFailure");
        bad("{\"initialLoss\": {\"enabled\": \"no\"}}", "preflight.initialLoss.enabled");
        bad("{\"initialLoss\": 3}", "preflight.initialLoss");
        bad("{\"overfitSubset\": {\"batches\": 0}}", "preflight.overfitSubset.batches");
        bad("{\"overfitSubset\": {\"batches\": 10, \"maxSteps\": 5}}", "preflight.overfitSubset.maxSteps");
        bad("{\"overfitSubset\": {\"extra\": 1}}", "preflight.overfitSubset.extra");
        bad("{\"lrRangeTest\": {\"from\": 0}}", "preflight.lrRangeTest.from");
        bad("{\"lrRangeTest\": {\"from\": -1}}", "preflight.lrRangeTest.from");
        bad("{\"lrRangeTest\": {\"from\": 1, \"to\": 1}}", "preflight.lrRangeTest.to");
        bad("{\"lrRangeTest\": {\"to\": 1e9}}", "preflight.lrRangeTest.to");
        bad("{\"lrRangeTest\": {\"steps\": 5}}", "preflight.lrRangeTest.steps");
        bad("{\"lrRangeTest\": {\"smoothing\": 1}}", "preflight.lrRangeTest.smoothing");
        bad("{\"lrRangeTest\": {\"divergeFactor\": 1}}", "preflight.lrRangeTest.divergeFactor");
        bad("{\"hyperparameters\": {\"wdith\": 3}}", "preflight.hyperparameters.wdith");
        bad("{\"hyperparameters\": {\"width\": {\"a\": 1}}}", "preflight.hyperparameters.width");
        bad("{\"hyperparameters\": []}", "preflight.hyperparameters");
    }

    @Test
    void theExampleFileParsesWithEveryStepOn() throws Exception {
        StudySpec spec = StudySpecParser.parse(java.nio.file.Files.readAllBytes(
                java.nio.file.Path.of("examples", "preflight-study.json"))).spec();
        assertThat(spec.preflight().initialLoss()).isEqualTo(PreflightSpec.InitialLoss.defaults());
        assertThat(spec.preflight().overfitSubset()).isEqualTo(PreflightSpec.OverfitSubset.defaults());
        assertThat(spec.preflight().lrRangeTest()).isEqualTo(PreflightSpec.LrRangeTest.defaults());
        assertThat(spec.preflight().hyperparameters()).containsEntry("width", 64);
    }
}
