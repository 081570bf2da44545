package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Map;

/**
 * A trainer confirms a {@link TunerCommand}: which command, at which step, and what changed
 * ({@code details}, for example the previous and the new learning rate).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "timestamp", "studyId", "trialId", "commandId", "step"})
public record CommandApplied(
        int schemaVersion,
        String runId,
        Instant timestamp,
        String studyId,
        String trialId,
        String commandId,
        long step,
        String command,
        Map<String, Object> details) implements TrainingEvent {

    public CommandApplied {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        Contract.requireText("commandId", commandId);
        Contract.requireNonNegative("step", step);
        details = Contract.orderedCopy(details);
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return COMMAND_APPLIED;
    }

    @Override
    public long stepOrMinusOne() {
        return step;
    }
}
