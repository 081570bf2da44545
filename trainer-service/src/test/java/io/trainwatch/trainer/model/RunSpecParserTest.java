package io.trainwatch.trainer.model;

import io.trainwatch.events.RunControl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunSpecParserTest {

    private static Map<String, Object> with(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void rejects(Map<String, Object> config, String field) {
        assertThatThrownBy(() -> RunSpecParser.parse(config)).isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).field()).isEqualTo(field));
    }

    @Test
    void controlDefaultsToAutoAndIsValidatedFieldByField() {
        assertThat(RunSpecParser.parse(with()).control()).isEqualTo(RunControl.of(RunControl.AUTO));
        assertThat(RunSpecParser.parse(with("control", Map.of("mode", "off"))).control().mode()).isEqualTo(RunControl.OFF);
        assertThat(RunSpecParser.parse(with("control", Map.of("mode", "auto", "maxDecays", 3, "minLearningRate", 1e-5,
                "allowStop", false))).control()).isEqualTo(new RunControl(RunControl.AUTO, 3, 1e-5, false));
        rejects(with("control", "suggest"), "control");
        rejects(with("control", Map.of()), "control.mode");
        rejects(with("control", Map.of("mode", "sometimes")), "control.mode");
        rejects(with("control", Map.of("mode", "auto", "maxDecays", -1)), "control.maxDecays");
        rejects(with("control", Map.of("mode", "auto", "maxDecays", 1.5)), "control.maxDecays");
        rejects(with("control", Map.of("mode", "auto", "minLearningRate", 0)), "control.minLearningRate");
        rejects(with("control", Map.of("mode", "auto", "minLearningRate", "low")), "control.minLearningRate");
        rejects(with("control", Map.of("mode", "auto", "allowStop", "no")), "control.allowStop");
        rejects(with("control", Map.of("mode", "auto", "maxDecay", 2)), "control.maxDecay");
        assertThatThrownBy(() -> RunSpecParser.parse(with("control", Map.of())))
                .satisfies(e -> assertThat(((InvalidConfigException) e).reason()).isEqualTo("is required"));
        assertThatThrownBy(() -> RunSpecParser.parse(with("control", Map.of("mode", "sometimes"))))
                .satisfies(e -> assertThat(((InvalidConfigException) e).reason())
                        .isEqualTo("must be one of [auto, off, suggest], was 'sometimes'"));
    }

    @Test
    void anEmptyConfigGetsDocumentedDefaults() {
        RunSpec spec = RunSpecParser.parse(Map.of());
        assertThat(spec.hiddenLayers()).containsExactly(64, 64);
        assertThat(spec.optimizer()).isEqualTo("adam");
        assertThat(spec.learningRate()).isEqualTo(0.001);
        assertThat(spec.dataset().type()).isEqualTo("spirals");
        assertThat(spec.batchSize()).isEqualTo(32);
        assertThat(spec.maxSteps()).isNull();
        assertThat(spec.sampleEvery()).isEqualTo(1);
    }

    @Test
    void namesAreNormalised() {
        RunSpec spec = RunSpecParser.parse(with("optimizer", "RMSProp", "activation", "Leaky_ReLU", "loss", "MCXENT",
                "weightInit", "XAVIER-UNIFORM"));
        assertThat(spec.optimizer()).isEqualTo("rmsprop");
        assertThat(spec.activation()).isEqualTo("leakyrelu");
        assertThat(spec.weightInit()).isEqualTo("xavier_uniform");
    }

    @ParameterizedTest
    @CsvSource({"learningRate, -0.1", "learningRate, 0", "l2, -1", "dropout, 1.0", "batchSize, 0", "epochs, 0",
            "momentum, 1.5", "batchSize, 2.5", "sampleEvery, 0"})
    void outOfRangeNumbersNameTheirField(String field, double value) {
        rejects(with(field, value), field);
    }

    @Test
    void nonFiniteNumbersAreRejected() {
        rejects(with("learningRate", Double.NaN), "learningRate");
        rejects(with("l2", Double.POSITIVE_INFINITY), "l2");
        rejects(with("learningRate", "fast"), "learningRate");
    }

    @Test
    void layersAreValidatedOneByOne() {
        rejects(with("hiddenLayers", List.of(64, 0)), "hiddenLayers[1]");
        rejects(with("hiddenLayers", List.of(64, 1.5)), "hiddenLayers[1]");
        rejects(with("hiddenLayers", "64,64"), "hiddenLayers");
        rejects(with("hiddenLayers", java.util.Collections.nCopies(33, 8)), "hiddenLayers");
        assertThat(RunSpecParser.parse(with("hiddenLayers", List.of())).hiddenLayers()).isEmpty();
    }

    @Test
    void unknownFieldsAndNamesAreRejected() {
        rejects(with("learningrate", 0.1), "learningrate");
        rejects(with("optimizer", "lbfgs"), "optimizer");
        rejects(with("activation", "magic"), "activation");
        rejects(with("dataset", Map.of("type", "mnist")), "dataset.type");
        rejects(with("dataset", Map.of("type", "spirals", "colour", 1)), "dataset.colour");
        rejects(with("dataset", Map.of("type", "moons", "classes", 3)), "dataset.classes");
        rejects(with("dataset", Map.of("type", "csv")), "dataset.path");
        rejects(with("dataset", Map.of("type", "spirals", "features", 3)), "dataset.features");
        rejects(with("initStd", 0.1), "initStd");
    }

    @Test
    void aScheduleNeedsStepsAndPositiveRates() {
        RunSpec spec = RunSpecParser.parse(with("learningRate", 0.01, "lrSchedule", Map.of("30", 0.001)));
        assertThat(spec.lrSchedule()).containsEntry(0, 0.01).containsEntry(30, 0.001);
        rejects(with("lrSchedule", Map.of("soon", 0.001)), "lrSchedule.soon");
        rejects(with("lrSchedule", Map.of("10", -1)), "lrSchedule.10");
        rejects(with("lrSchedule", Map.of()), "lrSchedule");
    }

    @Test
    void stepsAndBudgetsBoundTheRun() {
        RunSpec spec = RunSpecParser.parse(with("epochs", 3));
        assertThat(spec.withMaxSteps(300).maxSteps()).isEqualTo(300);
        assertThat(spec.withMaxSteps(300).epochs()).isGreaterThan(3);
        RunSpec budget = spec.withBudget(50L, 2);
        assertThat(budget.maxSteps()).isEqualTo(50);
        assertThat(budget.epochs()).isEqualTo(2);
        assertThat(spec.withBudget(null, 1).maxSteps()).isNull();
        assertThat(RunSpecParser.parse(with("steps", 10)).maxSteps()).isEqualTo(10);
    }
}
