package io.trainwatch.trainer.model;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The run-config keys of the tuning procedure: batchNorm, schedule, subsetBatches (and dropout's bounds). */
class ScheduleAndOptionsParserTest {

    private static Map<String, Object> with(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> schedule(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void rejects(Map<String, Object> config, String field, String... inMessage) {
        assertThatThrownBy(() -> RunSpecParser.parse(config)).isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).field()).isEqualTo(field))
                .satisfies(e -> {
                    for (String part : inMessage) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
    }

    @Test
    void absentKeysKeepTheExistingBehaviour() {
        RunSpec spec = RunSpecParser.parse(Map.of());
        assertThat(spec.batchNorm()).isFalse();
        assertThat(spec.schedule()).isNull();
        assertThat(spec.subsetBatches()).isNull();
        assertThat(spec.scheduleAnnouncement()).isNull();
        assertThat(spec.scheduledRate(1000)).isEqualTo(spec.learningRate());
    }

    @Test
    void batchNormIsABoolean() {
        assertThat(RunSpecParser.parse(with("batchNorm", true)).batchNorm()).isTrue();
        assertThat(RunSpecParser.parse(with("batchNorm", false)).batchNorm()).isFalse();
        rejects(with("batchNorm", "true"), "batchNorm", "true or false");
        rejects(with("batchNorm", 1), "batchNorm");
        rejects(with("batchNorm", List.of(true)), "batchNorm");
    }

    @Test
    void subsetBatchesIsAWholeNumberOfAtLeastOne() {
        assertThat(RunSpecParser.parse(with("subsetBatches", 5)).subsetBatches()).isEqualTo(5);
        assertThat(RunSpecParser.parse(with("subsetBatches", 5.0)).subsetBatches()).isEqualTo(5);
        assertThat(RunSpecParser.parse(with("subsetBatches", 1L)).subsetBatches()).isEqualTo(1);
        rejects(with("subsetBatches", 0), "subsetBatches");
        rejects(with("subsetBatches", -3), "subsetBatches");
        rejects(with("subsetBatches", 2.5), "subsetBatches", "whole number");
        rejects(with("subsetBatches", Double.NaN), "subsetBatches");
        rejects(with("subsetBatches", Double.POSITIVE_INFINITY), "subsetBatches");
        rejects(with("subsetBatches", "5"), "subsetBatches");
        rejects(with("subsetBatches", 2_000_000), "subsetBatches");
    }

    @Test
    void dropoutBoundsAndZeroTurnsItOff() {
        assertThat(RunSpecParser.parse(with("dropout", 0)).dropout()).isZero();
        assertThat(RunSpecParser.parse(with("dropout", 0.5)).dropout()).isEqualTo(0.5);
        rejects(with("dropout", -0.1), "dropout");
        rejects(with("dropout", 0.96), "dropout");
        rejects(with("dropout", Double.NaN), "dropout");
    }

    @Test
    void validSchedulesOfEachType() {
        assertThat(RunSpecParser.parse(with("schedule", schedule("type", "constant"))).schedule())
                .isEqualTo(LearningRateSchedule.constant());
        assertThat(RunSpecParser.parse(with("schedule", schedule("type", "step", "every", 100, "factor", 0.5)))
                .schedule()).isEqualTo(LearningRateSchedule.step(100, 0.5));
        assertThat(RunSpecParser.parse(with("schedule", schedule("type", "step", "every", 1, "factor", 1.0)))
                .schedule()).isEqualTo(LearningRateSchedule.step(1, 1.0));
        assertThat(RunSpecParser.parse(with("schedule", schedule("type", "exponential", "gamma", 0.99))).schedule())
                .isEqualTo(LearningRateSchedule.exponential(0.99));
        RunSpec range = RunSpecParser.parse(with("learningRate", 0.5,
                "schedule", schedule("type", "range", "from", 1e-6, "to", 10, "steps", 200.0)));
        assertThat(range.schedule()).isEqualTo(LearningRateSchedule.range(1e-6, 10, 200));
        assertThat(range.learningRate()).as("a range test starts at 'from'; learningRate is ignored").isEqualTo(1e-6);
        assertThat(range.scheduleAnnouncement()).containsExactly(Map.entry("type", "range"), Map.entry("from", 1e-6),
                Map.entry("to", 10.0), Map.entry("steps", 200));
        assertThat(RunSpecParser.parse(with("schedule", schedule("type", "Exponential", "gamma", 0.9))).schedule()
                .type()).isEqualTo("exponential");
    }

    @Test
    void invalidSchedulesNameTheField() {
        rejects(with("schedule", "range"), "schedule", "object");
        rejects(with("schedule", List.of()), "schedule");
        rejects(with("schedule", schedule()), "schedule.type", "required");
        rejects(with("schedule", schedule("type", "cosine")), "schedule.type", "cosine");
        rejects(with("schedule", schedule("type", 3)), "schedule.type");
        rejects(with("schedule", schedule("type", "constant", "gamma", 0.9)), "schedule.gamma", "constant");
        // step
        rejects(with("schedule", schedule("type", "step", "factor", 0.5)), "schedule.every", "required");
        rejects(with("schedule", schedule("type", "step", "every", 0, "factor", 0.5)), "schedule.every");
        rejects(with("schedule", schedule("type", "step", "every", 2.5, "factor", 0.5)), "schedule.every");
        rejects(with("schedule", schedule("type", "step", "every", 10)), "schedule.factor", "required");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", 0)), "schedule.factor", "(0, 1]");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", 1.5)), "schedule.factor");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", -0.5)), "schedule.factor");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", Double.NaN)), "schedule.factor");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", "half")), "schedule.factor");
        rejects(with("schedule", schedule("type", "step", "every", 10, "factor", 0.5, "gamma", 0.9)),
                "schedule.gamma", "step");
        // exponential
        rejects(with("schedule", schedule("type", "exponential")), "schedule.gamma", "required");
        rejects(with("schedule", schedule("type", "exponential", "gamma", 0)), "schedule.gamma");
        rejects(with("schedule", schedule("type", "exponential", "gamma", 1.01)), "schedule.gamma");
        rejects(with("schedule", schedule("type", "exponential", "gamma", Double.POSITIVE_INFINITY)), "schedule.gamma");
        // range
        rejects(with("schedule", schedule("type", "range", "to", 1, "steps", 10)), "schedule.from", "required");
        rejects(with("schedule", schedule("type", "range", "from", 0, "to", 1, "steps", 10)), "schedule.from");
        rejects(with("schedule", schedule("type", "range", "from", -1e-3, "to", 1, "steps", 10)), "schedule.from");
        rejects(with("schedule", schedule("type", "range", "from", Double.NaN, "to", 1, "steps", 10)), "schedule.from");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "steps", 10)), "schedule.to", "required");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", 1e-3, "steps", 10)), "schedule.to",
                "greater than schedule.from");
        rejects(with("schedule", schedule("type", "range", "from", 1, "to", 1e-3, "steps", 10)), "schedule.to");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", Double.POSITIVE_INFINITY, "steps", 10)),
                "schedule.to");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", 1)), "schedule.steps", "required");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", 1, "steps", 1)), "schedule.steps");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", 1, "steps", 10.5)), "schedule.steps");
        rejects(with("schedule", schedule("type", "range", "from", 1e-3, "to", 1, "steps", 10, "every", 3)),
                "schedule.every", "range");
    }

    @Test
    void bothScheduleFormsTogetherAreRejected() {
        rejects(with("lrSchedule", Map.of("30", 1e-4), "schedule", schedule("type", "constant")), "schedule",
                "lrSchedule");
        rejects(with("lrSchedule", Map.of("30", 1e-4), "schedule", schedule("type", "exponential", "gamma", 0.9)),
                "schedule", "lrSchedule");
        // lrSchedule alone keeps working and is announced as a map
        RunSpec spec = RunSpecParser.parse(with("learningRate", 0.01, "lrSchedule", Map.of("30", 1e-4)));
        assertThat(spec.scheduleAnnouncement()).containsEntry("type", "map")
                .containsEntry("rates", Map.of("0", 0.01, "30", 1e-4));
        assertThat(spec.scheduledRate(29)).isEqualTo(0.01);
        assertThat(spec.scheduledRate(30)).isEqualTo(1e-4);
    }

    @Test
    void budgetsKeepTheNewKeys() {
        RunSpec spec = RunSpecParser.parse(with("batchNorm", true, "subsetBatches", 3,
                "schedule", schedule("type", "exponential", "gamma", 0.9)));
        for (RunSpec s : List.of(spec.withMaxSteps(10), spec.withBudget(10L, 2))) {
            assertThat(s.batchNorm()).isTrue();
            assertThat(s.subsetBatches()).isEqualTo(3);
            assertThat(s.schedule()).isEqualTo(spec.schedule());
        }
    }
}
