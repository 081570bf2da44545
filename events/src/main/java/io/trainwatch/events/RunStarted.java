package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;

/** A run begins: its full configuration, and the backend and device it trains on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "timestamp", "studyId", "trialId"})
public record RunStarted(
        int schemaVersion,
        String runId,
        Instant timestamp,
        String studyId,
        String trialId,
        RunConfig config,
        String backend,
        String device) implements TrainingEvent {

    public RunStarted {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        if (config == null) {
            throw new IllegalArgumentException("config is required");
        }
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return RUN_STARTED;
    }

    @Override
    public long stepOrMinusOne() {
        return -1;
    }
}
