package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;

/**
 * A run begins: its full configuration, the backend and device it trains on, and how it wants to be steered
 * ({@code control}; absent = {@link RunControl#OFF}).
 */
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
        String device,
        RunControl control) implements TrainingEvent {

    public RunStarted {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        if (config == null) {
            throw new IllegalArgumentException("config is required");
        }
    }

    /** A run that declares no control (never steered). */
    public RunStarted(int schemaVersion, String runId, Instant timestamp, String studyId, String trialId,
                      RunConfig config, String backend, String device) {
        this(schemaVersion, runId, timestamp, studyId, trialId, config, backend, device, null);
    }

    /** The declared control, or {@link RunControl#NONE} when the run declared none. */
    public RunControl controlOrOff() {
        return control == null ? RunControl.NONE : control;
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
