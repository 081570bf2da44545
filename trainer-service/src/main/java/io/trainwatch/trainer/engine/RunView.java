package io.trainwatch.trainer.engine;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/** What the REST API shows of a run: its status, where it is and its latest numbers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunView(
        String runId,
        String studyId,
        String trialId,
        String scenario,
        String status,
        String reason,
        long step,
        int epoch,
        Double loss,
        Double accuracy,
        Double learningRate,
        Double validationLoss,
        Double validationAccuracy,
        Instant startedAt,
        Instant finishedAt,
        String checkpoint) {
}
