package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BenchmarkPoolTest {

    /** A study whose trials (in finishing order) each spent {@code steps} and reached the given best; null = no value. */
    static BenchmarkReport study(String id, long steps, Double... bests) throws Exception {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < bests.length; i++) {
            rows.append(i == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT,
                    "{\"trialId\": \"t%03d\", \"steps\": %d, \"best\": %s, \"status\": \"completed\","
                            + " \"finishedAt\": \"2026-11-23T10:00:%02dZ\"}", i, steps, bests[i], i + 1));
        }
        JsonNode s = EventCodec.MAPPER.readTree("{\"id\": \"" + id + "\", \"createdAt\": \"2026-11-23T10:00:00Z\","
                + " \"leaderboard\": [" + rows + "]}");
        return BenchmarkReport.of(s);
    }

    static BenchmarkPool pool() throws Exception {
        BenchmarkPool p = new BenchmarkPool(List.of("tuner", "optuna-tpe"), "optuna-tpe");
        // Seed 1: both reach 0.9 (tuner after 200 steps, TPE after 400); only TPE reaches 0.95.
        p.add(1, Map.of("tuner", study("a", 100, 0.5, 0.91, 0.93), "optuna-tpe", study("b", 100, 0.5, 0.6, 0.7, 0.96)));
        // Seed 2: both reach 0.9 (300 and 300 steps) and 0.95 (300 and 600).
        p.add(2, Map.of("tuner", study("c", 100, 0.1, 0.2, 0.97), "optuna-tpe", study("d", 150, 0.3, 0.92, 0.93, 0.99)));
        // Seed 3: the tuner never reaches 0.9.
        p.add(3, Map.of("tuner", study("e", 100, 0.5, 0.6), "optuna-tpe", study("f", 100, 0.95)));
        return p;
    }

    @Test
    void poolsStepsOnlyOverSeedsWhereEveryArmReachedTheTarget() throws Exception {
        BenchmarkPool p = pool();
        assertThat(p.seedsAllReached(0.9)).containsExactly(1L, 2L);
        assertThat(p.pooledSteps("tuner", 0.9)).isEqualTo(200 + 300);
        assertThat(p.pooledSteps("optuna-tpe", 0.9)).isEqualTo(400 + 300);
        assertThat(p.seedsAllReached(0.95)).containsExactly(2L);
        assertThat(p.pooledSteps("tuner", 0.95)).isEqualTo(300);
        assertThat(p.pooledSteps("optuna-tpe", 0.95)).isEqualTo(600);
        assertThat(p.reached("tuner", 0.9)).isEqualTo(2);
        assertThat(p.reached("optuna-tpe", 0.9)).isEqualTo(3);
        assertThat(p.seedsAllReached(0.999)).isEmpty();
        assertThat(p.pooledSteps("tuner", 0.999)).isZero();
    }

    @Test
    void ratiosAreTakenPerSeedAgainstTheReferenceArm() throws Exception {
        BenchmarkPool p = pool();
        assertThat(p.ratios("tuner", 0.9)).containsExactly(Map.entry(1L, 0.5), Map.entry(2L, 1.0));
        assertThat(p.ratios("optuna-tpe", 0.9)).containsOnlyKeys(1L, 2L, 3L).allSatisfy((k, v) -> assertThat(v).isEqualTo(1.0));
        assertThat(p.ratios("tuner", 0.95)).containsExactly(Map.entry(2L, 0.5));
    }

    @Test
    void bestAtEqualBudgetStopsAtTheFewestStepsOfAnyArmOfTheSeed() throws Exception {
        BenchmarkPool p = pool();
        // Seed 1: equal budget 300 (tuner) -> TPE's best within 300 is 0.7 (its first three trials); seed 2: 300 -> tuner 0.97, TPE 0.92
        // (two trials of 150); seed 3: 100 (TPE) -> tuner 0.5, TPE 0.95.
        assertThat(p.seeds).extracting(BenchmarkPool.Seed::equalBudget).containsExactly(300L, 300L, 100L);
        assertThat(p.meanBestAtEqualBudget("tuner")).isCloseTo((0.93 + 0.97 + 0.5) / 3, within(1e-12));
        assertThat(p.meanBestAtEqualBudget("optuna-tpe")).isCloseTo((0.7 + 0.92 + 0.95) / 3, within(1e-12));
    }

    @Test
    void stopsArePooledByReasonWithTheOnTrackCount() throws Exception {
        JsonNode s = EventCodec.MAPPER.readTree("""
                {"id": "x", "createdAt": "2026-11-23T10:00:00Z", "leaderboard": [
                  {"trialId": "t0", "steps": 600, "best": 0.9, "status": "completed"},
                  {"trialId": "t1", "steps": 100, "best": 0.95, "lastValidation": 0.95, "status": "stopped",
                   "stopReason": "median pruner"},
                  {"trialId": "t2", "steps": 100, "best": 0.3, "lastValidation": 0.3, "status": "stopped",
                   "stopReason": "median pruner"},
                  {"trialId": "t3", "steps": 10, "status": "diverged", "stopReason": "divergence"}]}
                """);
        BenchmarkPool p = new BenchmarkPool(List.of("optuna-tpe"), "optuna-tpe");
        p.add(1, Map.of("optuna-tpe", BenchmarkReport.of(s)));
        p.add(2, Map.of("optuna-tpe", BenchmarkReport.of(s)));
        assertThat(p.stops("optuna-tpe")).containsExactly(Map.entry("divergence", 2), Map.entry("median pruner", 4));
        assertThat(p.onTrack("optuna-tpe")).isEqualTo(2);
        assertThat(BenchmarkPool.stopText(p.stops("optuna-tpe"), 2, 1))
                .isEqualTo("6: divergence 2, median pruner 4 (on track 2, 1 without a last validation)");
        assertThat(BenchmarkPool.stopText(Map.of(), 0, 0)).isEqualTo("none");
    }

    @Test
    void printsOneRowPerSeedAndArmThenThePooledFigures() throws Exception {
        List<String> lines = pool().lines(0.9, 0.95);
        assertThat(lines.get(0)).contains("seed", "arm", "to 0.90", "to 0.95", "best@equal");
        assertThat(lines.subList(1, 7)).extracting(l -> l.split("\\s+")[1])
                .containsExactly("tuner", "optuna-tpe", "tuner", "optuna-tpe", "tuner", "optuna-tpe");
        assertThat(String.join("\n", lines))
                .contains("target 0.90: every arm reached it in 2 of 3 seeds [1, 2]")
                .containsPattern("tuner\\s+2/3\\s+500\\s+71 %\\s+s1 50 %, s2 100 % \\(mean 75 %\\)")
                .contains("target 0.95: every arm reached it in 1 of 3 seeds [2]");
    }

    @Test
    void refusesASeedWithoutEveryArmOrAReferenceThatIsNoArm() throws Exception {
        BenchmarkPool p = new BenchmarkPool(List.of("tuner", "optuna-tpe"), "optuna-tpe");
        assertThatThrownBy(() -> p.add(1, Map.of("tuner", study("a", 100, 0.5)))).hasMessageContaining("lacks arms");
        assertThatThrownBy(() -> new BenchmarkPool(List.of("tuner"), "optuna-tpe")).hasMessageContaining("reference");
    }
}
