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
    void batchNormScheduleAndSubsetAreHyperparameters() {
        // As JSON arrives from the tuner: whole numbers as doubles, the schedule as a nested object.
        Map<String, Object> hp = Map.of("batchNorm", true, "subsetBatches", 5.0, "dropout", 0.0,
                "schedule", Map.of("type", "range", "from", 1e-6, "to", 10.0, "steps", 200.0));
        Map<String, Object> merged = Hyperparameters.merge(Map.of("scenario", "healthy"), hp);
        assertThat(merged).containsEntry("batchNorm", true).containsEntry("subsetBatches", 5L)
                .containsEntry("optimizer", "adam");
        RunSpec spec = TrialWorker.specOf(trial(hp, Map.of("scenario", "healthy"), 300L, null));
        assertThat(spec.batchNorm()).isTrue();
        assertThat(spec.subsetBatches()).isEqualTo(5);
        assertThat(spec.dropout()).isZero();
        assertThat(spec.schedule()).isEqualTo(io.trainwatch.trainer.model.LearningRateSchedule.range(1e-6, 10, 200));
        assertThat(spec.learningRate()).isEqualTo(1e-6);
        assertThat(spec.maxSteps()).isEqualTo(300);
        RunSpec step = TrialWorker.specOf(trial(Map.of("schedule", Map.of("type", "step", "every", 100.0,
                "factor", 0.1)), Map.of("scenario", "healthy"), 300L, null));
        assertThat(step.schedule()).isEqualTo(io.trainwatch.trainer.model.LearningRateSchedule.step(100, 0.1));
        assertThat(Hyperparameters.NAMES).contains("batchNorm", "schedule", "subsetBatches");
    }

    @Test
    void badTuningHyperparametersNameTheirField() {
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("batchNorm", "yes"), Map.of(), 5L, null)))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("batchNorm");
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("subsetBatches", 0), Map.of(), 5L, null)))
                .hasMessageStartingWith("subsetBatches");
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("schedule", Map.of("type", "exponential",
                "gamma", 2.0)), Map.of(), 5L, null))).hasMessageStartingWith("schedule.gamma");
        // the lr-decayed-too-early preset has an lrSchedule: a schedule on top of it is a conflict
        assertThatThrownBy(() -> TrialWorker.specOf(trial(Map.of("schedule", Map.of("type", "constant")),
                Map.of("scenario", "lr-decayed-too-early"), 5L, null))).hasMessageStartingWith("schedule")
                .hasMessageContaining("lrSchedule");
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
