package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;

/**
 * A validation pass: training and validation loss and accuracy at a step. At least one of
 * {@code validationLoss} and {@code validationAccuracy} is present.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "timestamp", "studyId", "trialId", "step", "epoch"})
public record ValidationEvent(
        int schemaVersion,
        String runId,
        Instant timestamp,
        String studyId,
        String trialId,
        long step,
        int epoch,
        Double trainLoss,
        Double trainAccuracy,
        Double validationLoss,
        Double validationAccuracy) implements TrainingEvent {

    public ValidationEvent {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        Contract.requireNonNegative("step", step);
        Contract.requireNonNegative("epoch", epoch);
        if (validationLoss == null && validationAccuracy == null) {
            throw new IllegalArgumentException("validationLoss or validationAccuracy is required");
        }
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return VALIDATION;
    }

    @Override
    public long stepOrMinusOne() {
        return step;
    }
}
