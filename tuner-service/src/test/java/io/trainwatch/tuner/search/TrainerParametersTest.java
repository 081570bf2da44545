package io.trainwatch.tuner.search;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainerParametersTest {

    @Test
    void renamesAliasesAndAddsTheSeed() {
        Map<String, Object> sampled = new LinkedHashMap<>();
        sampled.put("learningRate", 0.01);
        sampled.put("hiddenUnits", 64);
        sampled.put("hiddenLayerCount", 3);
        Map<String, Object> out = TrainerParameters.forTrainer(sampled, Map.of(), 5);
        assertThat(out).containsExactly(Map.entry("learningRate", 0.01), Map.entry("width", 64), Map.entry("layers", 3),
                Map.entry("seed", 5L));
    }

    @Test
    void aSeedInTheStudysModelIsKeptForEveryTrial() {
        Map<String, Object> out = TrainerParameters.forTrainer(Map.of("learningRate", 2.0), Map.of("seed", 42), 5);
        assertThat(out).containsExactly(Map.entry("learningRate", 2.0));
    }

    @Test
    void knowsTheReluFamilyAndHeXavierWhateverTheCase() {
        assertThat(TrainerParameters.isReluFamily("ReLU")).isTrue();
        assertThat(TrainerParameters.isReluFamily("sigmoid")).isFalse();
        assertThat(TrainerParameters.isReluFamily(null)).isFalse();
        assertThat(TrainerParameters.isHeOrXavier("relu")).isTrue();
        assertThat(TrainerParameters.isHeOrXavier("XAVIER")).isTrue();
        assertThat(TrainerParameters.isHeOrXavier("normal")).isFalse();
        assertThat(TrainerParameters.isHeOrXavier(3)).isFalse();
    }
}
