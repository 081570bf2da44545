package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Set;

/**
 * A run ends: {@code completed}, {@code stopped} (by a command or a person), {@code diverged} (the loss
 * turned non-finite) or {@code failed} (an error). {@code droppedEvents} counts the telemetry the
 * trainer had to drop because the broker was slow or down.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "timestamp", "studyId", "trialId", "status", "reason", "step"})
public record RunFinished(
        int schemaVersion,
        String runId,
        Instant timestamp,
        String studyId,
        String trialId,
        String status,
        String reason,
        long step,
        Long droppedEvents) implements TrainingEvent {

    public static final String COMPLETED = "completed";
    public static final String STOPPED = "stopped";
    public static final String DIVERGED = "diverged";
    public static final String FAILED = "failed";
    public static final Set<String> STATUSES = Set.of(COMPLETED, STOPPED, DIVERGED, FAILED);

    public RunFinished {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        Contract.requireOneOf("status", status, STATUSES);
        Contract.requireNonNegative("step", step);
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return RUN_FINISHED;
    }

    @Override
    public long stepOrMinusOne() {
        return step;
    }
}
