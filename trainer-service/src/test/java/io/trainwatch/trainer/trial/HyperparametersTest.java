package io.trainwatch.trainer.trial;

import io.trainwatch.events.Contract;
import io.trainwatch.events.Trial;
import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HyperparametersTest {

    private static Trial trial(Map<String, Object> hp, Map<String, Object> base, Long steps, Integer epochs) {
        return new Trial(Contract.SCHEMA_VERSION, "s", "t", "r", hp, new Trial.Budget(steps, epochs), Trial.RANDOM, base, null);
    }

    @Test
    void hyperparametersOverrideAScenarioBase() {
        RunSpec spec = TrialWorker.specOf(trial(Map.of("learningRate", 0.02, "l2", 1e-4, "batchSize", 64.0,
                "optimizer", "sgd"), Map.of("scenario", "healthy"), 100L, null));
        assertThat(spec.learningRate()).isEqualTo(0.02);
        assertThat(spec.l2()).isEqualTo(1e-4);
        assertThat(spec.batchSize()).isEqualTo(64);
        assertThat(spec.optimizer()).isEqualTo("sgd");
        assertThat(spec.dataset().type()).isEqualTo("spirals");
        assertThat(spec.scenario()).isEqualTo("healthy");
        assertThat(spec.maxSteps()).isEqualTo(100);
    }

    @Test
    void layersAndWidthReplaceTheHiddenLayers() {
        assertThat(TrialWorker.specOf(trial(Map.of("layers", 3, "width", 16), Map.of(), null, 2)).hiddenLayers())
                .containsExactly(16, 16, 16);
        assertThat(TrialWorker.specOf(trial(Map.of("width", 8), Map.of("hiddenLayers", List.of(4, 4)), 5L, null))
                .hiddenLayers()).containsExactly(8, 8);
        assertThat(TrialWorker.specOf(trial(Map.of("hiddenLayers", List.of(5)), Map.of(), 5L, null)).hiddenLayers())
                .containsExactly(5);
    }

    @Test
    void theBudgetBoundsStepsAndEpochs() {
        RunSpec spec = TrialWorker.specOf(trial(Map.of(), Map.of("epochs", 50), 10L, 3));
        assertThat(spec.maxSteps()).isEqualTo(10);
        assertThat(spec.epochs()).isEqualTo(3);
    }

    @Test
    void unknownOrBadHyperparametersNameTheirField() {
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("lr", 0.1), Map.of(), 5L, null)))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("hyperparameters.lr");
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("layers", -1), Map.of(), 5L, null)))
                .hasMessageStartingWith("hyperparameters.layers");
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("learningRate", Double.NaN), Map.of(), 5L, null)))
                .hasMessageStartingWith("learningRate");
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of(), Map.of("scenario", "nope"), 5L, null)))
                .hasMessageStartingWith("base.scenario");
    }

    @Test
    void offsetsAreCommittedOnlyBelowTheOldestTrialInProgress() {
        OffsetTracker t = new OffsetTracker();
        TopicPartition tp = new TopicPartition("tuner.trials", 0);
        assertThat(t.committable(tp)).isNull();
        t.started(tp, 5);
        t.started(tp, 6);
        t.finished(tp, 6);
        assertThat(t.committable(tp)).as("5 still runs").isEqualTo(5);
        t.finished(tp, 5);
        assertThat(t.committable(tp)).isEqualTo(7);
        t.started(tp, 7);
        assertThat(t.committable(tp)).isEqualTo(7);
        assertThat(t.inFlight()).isEqualTo(1);
        t.forget(tp);
        assertThat(t.committable(tp)).isNull();
    }
}
