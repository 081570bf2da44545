package io.trainwatch.trainer.api;

import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.trial.Hyperparameters;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code POST /runs} bodies and trial bases with a DL4J model: scenario overrides, hyperparameters, 400s. */
class ModelRequestTest {

    @Test
    void aCnnScenarioTakesOverridesAndATrialsHyperparameters() {
        Map<String, Object> body = new HashMap<>(Map.of("scenario", "cnn-healthy", "learningRate", 0.001, "steps", 5));
        RunSpec spec = RunResource.parse(body);
        assertThat(spec.model()).isNotNull();
        assertThat(spec.model().overrides()).contains("learningRate");
        assertThat(spec.learningRate()).isEqualTo(0.001);
        assertThat(spec.maxSteps()).isEqualTo(5);

        Map<String, Object> trial = Hyperparameters.merge(Map.of("scenario", "cnn-vanishing-gradients"),
                Map.of("learningRate", 0.5, "l2", 1e-4, "batchSize", 16.0));
        RunSpec fromTrial = RunSpecParser.parse(trial);
        assertThat(fromTrial.learningRate()).isEqualTo(0.5);
        assertThat(fromTrial.l2()).isEqualTo(1e-4);
        assertThat(fromTrial.batchSize()).isEqualTo(16);
        assertThat(fromTrial.model().overrides()).contains("learningRate", "l2");
    }

    @Test
    void mlpFieldsAndMismatchedDataAreA400() {
        Map<String, Object> mlp = new HashMap<>(Map.of("scenario", "cnn-healthy", "hiddenLayers", List.of(8)));
        assertThatThrownBy(() -> RunResource.parse(mlp)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("hiddenLayers: does not apply to a model given as a DL4J configuration");
        // The preset's CNN on 3-channel images: the first convolution takes 1 channel.
        Map<String, Object> colour = new HashMap<>(Map.of("scenario", "cnn-healthy", "dataset",
                Map.of("type", "images", "shape", List.of(16, 16, 3), "classes", 4)));
        assertThatThrownBy(() -> RunResource.parse(colour)).isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).field()).isEqualTo("model.config.confs[0].layer"))
                .hasMessageContaining("feeds batches of [batch, 3, 16, 16] that this network cannot take");
        // ... and on 5 classes: the output layer has 4.
        Map<String, Object> five = new HashMap<>(Map.of("scenario", "cnn-healthy", "dataset",
                Map.of("type", "images", "shape", List.of(16, 16, 1), "classes", 5)));
        assertThatThrownBy(() -> RunResource.parse(five)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("model.config.confs[5].layer.nout: is 4 but the data set has 5 classes");
    }
}
