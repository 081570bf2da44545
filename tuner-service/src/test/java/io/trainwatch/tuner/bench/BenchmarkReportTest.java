package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class BenchmarkReportTest {

    static JsonNode study() throws Exception {
        return EventCodec.MAPPER.readTree("""
                {"id": "b", "createdAt": "2026-11-23T10:00:00Z", "leaderboard": [
                  {"trialId": "t002", "steps": 400, "best": 0.93, "status": "completed",
                   "startedAt": "2026-11-23T10:00:20Z", "finishedAt": "2026-11-23T10:00:30Z"},
                  {"trialId": "t000", "steps": 400, "best": 0.80, "status": "completed",
                   "startedAt": "2026-11-23T10:00:00Z", "finishedAt": "2026-11-23T10:00:10Z"},
                  {"trialId": "t001", "steps": 30, "status": "stopped",
                   "startedAt": "2026-11-23T10:00:10Z", "finishedAt": "2026-11-23T10:00:12Z"},
                  {"trialId": "t003", "steps": 400, "best": 0.95, "status": "completed",
                   "startedAt": "2026-11-23T10:00:30Z", "finishedAt": "2026-11-23T10:00:40Z"}]}
                """);
    }

    @Test
    void countsEveryStepSpentUntilTheTargetInFinishingOrder() throws Exception {
        BenchmarkReport r = BenchmarkReport.of(study(), 0.9);
        assertThat(r.totalSteps()).isEqualTo(1230);
        assertThat(r.stepsToTarget()).isEqualTo(830);
        assertThat(r.wallToTarget()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.wall()).isEqualTo(Duration.ofSeconds(40));
        assertThat(r.best()).isEqualTo(0.95);
        assertThat(r.bestWithin(830)).isEqualTo(0.93);
        assertThat(r.bestWithin(500)).isEqualTo(0.80);
        assertThat(r.bestWithin(10)).isNull();
    }

    @Test
    void aTargetNeverReachedHasNoSteps() throws Exception {
        BenchmarkReport r = BenchmarkReport.of(study(), 0.99);
        assertThat(r.stepsToTarget()).isNull();
        assertThat(r.wallToTarget()).isNull();
    }
}
