package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BenchmarkReportTest {

    static JsonNode study() throws Exception {
        return EventCodec.MAPPER.readTree("""
                {"id": "b", "createdAt": "2026-11-23T10:00:00Z", "leaderboard": [
                  {"trialId": "t002", "runId": "b-t002", "steps": 400, "best": 0.93, "status": "completed",
                   "startedAt": "2026-11-23T10:00:20Z", "finishedAt": "2026-11-23T10:00:30Z"},
                  {"trialId": "t000", "runId": "b-t000", "steps": 400, "best": 0.80, "status": "completed",
                   "startedAt": "2026-11-23T10:00:00Z", "finishedAt": "2026-11-23T10:00:10Z"},
                  {"trialId": "t001", "runId": "b-t001", "steps": 30, "status": "stopped", "stopReason": "divergence",
                   "startedAt": "2026-11-23T10:00:10Z", "finishedAt": "2026-11-23T10:00:12Z"},
                  {"trialId": "t003", "runId": "b-t003", "steps": 400, "best": 0.95, "status": "completed",
                   "startedAt": "2026-11-23T10:00:30Z", "finishedAt": "2026-11-23T10:00:40Z"}]}
                """);
    }

    @Test
    void countsEveryStepSpentUntilTheTargetInFinishingOrder() throws Exception {
        BenchmarkReport r = BenchmarkReport.of(study());
        assertThat(r.rows()).extracting(BenchmarkReport.TrialRow::trialId).containsExactly("t000", "t001", "t002", "t003");
        assertThat(r.totalSteps()).isEqualTo(1230);
        assertThat(r.stepsTo(0.9)).isEqualTo(830);
        assertThat(r.stepsTo(0.95)).isEqualTo(1230);
        assertThat(r.wallTo(0.9)).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.wall()).isEqualTo(Duration.ofSeconds(40));
        assertThat(r.best()).isEqualTo(0.95);
        assertThat(r.bestWithin(830)).isEqualTo(0.93);
        assertThat(r.bestWithin(500)).isEqualTo(0.80);
        assertThat(r.bestWithin(10)).isNull();
    }

    @Test
    void aTargetNeverReachedHasNoSteps() throws Exception {
        BenchmarkReport r = BenchmarkReport.of(study());
        assertThat(r.stepsTo(0.99)).isNull();
        assertThat(r.wallTo(0.99)).isNull();
    }

    @Test
    void stopsAreCountedByReasonElseByAnEarlyStatus() throws Exception {
        JsonNode s = EventCodec.MAPPER.readTree("""
                {"id": "s", "createdAt": "2026-11-23T10:00:00Z", "leaderboard": [
                  {"trialId": "t0", "steps": 600, "best": 0.9, "status": "completed"},
                  {"trialId": "t1", "steps": 100, "best": 0.5, "status": "stopped", "stopReason": "plateau"},
                  {"trialId": "t2", "steps": 120, "best": 0.4, "status": "stopped", "stopReason": "plateau"},
                  {"trialId": "t3", "steps": 8, "status": "diverged"},
                  {"trialId": "t4", "steps": 0, "status": "failed"},
                  {"trialId": "t5", "steps": 600, "best": 0.7, "status": "completed", "stopReason": null}]}
                """);
        BenchmarkReport r = BenchmarkReport.of(s);
        assertThat(r.stops()).containsExactly(Map.entry("diverged", 1), Map.entry("failed", 1), Map.entry("plateau", 2));
        assertThat(r.stopped()).extracting(BenchmarkReport.TrialRow::trialId).containsExactlyInAnyOrder("t1", "t2", "t3", "t4");
    }

    @Test
    void theTopQuartileIsTheNearestRankOfTheTrialsBestValues() throws Exception {
        // Eight trials with a value: the 2nd best (ceil(8 / 4)) is the threshold; five values: the 2nd best too.
        assertThat(BenchmarkReport.of(withBests(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)).topQuartile()).isEqualTo(0.7);
        assertThat(BenchmarkReport.of(withBests(0.5, 0.9, 0.1, 0.3, 0.7)).topQuartile()).isEqualTo(0.7);
        assertThat(BenchmarkReport.of(withBests(0.4)).topQuartile()).isEqualTo(0.4);
        assertThat(BenchmarkReport.of(withBests()).topQuartile()).isNull();
    }

    @Test
    void aStoppedTrialIsOnTrackWhenItsLastValidationIsInTheTopQuartile() throws Exception {
        JsonNode s = EventCodec.MAPPER.readTree("""
                {"id": "q", "createdAt": "2026-11-23T10:00:00Z", "leaderboard": [
                  {"trialId": "t0", "runId": "q-t0", "steps": 600, "best": 0.95, "status": "completed"},
                  {"trialId": "t1", "runId": "q-t1", "steps": 600, "best": 0.90, "status": "completed"},
                  {"trialId": "t2", "runId": "q-t2", "steps": 600, "best": 0.60, "status": "completed"},
                  {"trialId": "t3", "runId": "q-t3", "steps": 600, "best": 0.50, "status": "completed"},
                  {"trialId": "t4", "runId": "q-t4", "steps": 200, "best": 0.92, "status": "stopped", "stopReason": "plateau"},
                  {"trialId": "t5", "runId": "q-t5", "steps": 200, "best": 0.91, "status": "stopped", "stopReason": "overfitting"},
                  {"trialId": "t6", "runId": "q-t6", "steps": 100, "best": 0.40, "status": "stopped", "stopReason": "plateau"},
                  {"trialId": "t7", "runId": "q-t7", "steps": 50, "best": 0.30, "status": "diverged"}]}
                """);
        // Threshold: the 2nd best of the seven values, 0.92. Last validations (from the trainer): t4 ended at its
        // best, t5 had fallen from 0.91 to 0.85; t7 is unknown.
        Map<String, Double> last = Map.of("q-t4", 0.92, "q-t5", 0.85, "q-t6", 0.40);
        BenchmarkReport r = BenchmarkReport.of(s).withLastValidations(last::get);
        assertThat(r.topQuartile()).isEqualTo(0.92);
        assertThat(r.onTrack()).isEqualTo(1);
        assertThat(r.stoppedWithoutLastValidation()).isEqualTo(1);
        // Before the lookup no stopped trial has a last validation, so none counts as on track.
        assertThat(BenchmarkReport.of(s).onTrack()).isZero();
    }

    @Test
    void readsTheOptunaArmsOutput() throws Exception {
        // What bench/optuna_arm.py printed for the harder study, 8 trials of 150 steps, TPE, seed 2 (run ids renamed).
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("/bench/optuna-arm-output.json")) {
            doc = EventCodec.MAPPER.readTree(in);
        }
        BenchmarkReport r = BenchmarkReport.of(doc);
        assertThat(r.studyId()).isEqualTo("bench-smoke-s2-optuna-tpe");
        assertThat(r.trials()).isEqualTo(8);
        assertThat(r.rows()).extracting(BenchmarkReport.TrialRow::trialId)
                .containsExactly("t000", "t001", "t002", "t003", "t004", "t005", "t006", "t007");
        assertThat(r.totalSteps()).isEqualTo(7 * 150 + 50);
        assertThat(r.stops()).containsExactly(Map.entry("median pruner", 1));
        BenchmarkReport.TrialRow pruned = r.rows().get(7);
        assertThat(pruned.status()).isEqualTo("stopped");
        assertThat(pruned.runId()).isEqualTo("bench-smoke-s2-optuna-tpe-t007");
        assertThat(pruned.lastValidation()).isEqualTo(0.20833333333333334);
        assertThat(r.rows().get(2).best()).isEqualTo(0.3458333333333333);
        assertThat(r.rows().get(2).lastValidation()).isEqualTo(0.23333333333333334);
        assertThat(r.best()).isEqualTo(0.48333333333333334);
        assertThat(r.stepsTo(0.4)).isEqualTo(150);
        // The top quartile of eight trials is the 2nd best (0.3458): the pruned trial (0.2083) was not on track.
        assertThat(r.topQuartile()).isEqualTo(0.3458333333333333);
        assertThat(r.onTrack()).isZero();
        // The rows carry their last validation: the trainer is not asked.
        assertThat(r.withLastValidations(id -> {
            throw new AssertionError("asked for " + id);
        })).isEqualTo(r);
    }

    private static JsonNode withBests(double... bests) throws Exception {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < bests.length; i++) {
            rows.append(i == 0 ? "" : ",").append("{\"trialId\": \"t").append(i).append("\", \"steps\": 100, \"best\": ")
                    .append(bests[i]).append(", \"status\": \"completed\"}");
        }
        return EventCodec.MAPPER.readTree("{\"id\": \"x\", \"createdAt\": \"2026-11-23T10:00:00Z\", \"leaderboard\": ["
                + rows + "]}");
    }
}
