package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Set;

/**
 * A command to a running trainer on {@link Topics#TUNER_COMMANDS}: {@code set-learning-rate} (with
 * {@code learningRate}) or {@code stop}. Trainers confirm with {@link CommandApplied}; applying the same
 * {@code commandId} twice has no further effect.
 *
 * <p>{@code mode} is absent (or {@code apply}) for a command to carry out, and {@code suggest} for a
 * suggestion to a run that declared {@code control.mode = suggest}: what the tuner would do, shown to the
 * run's owner, never applied and never confirmed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "commandId", "runId", "type", "learningRate", "reason", "alertId", "timestamp"})
public record TunerCommand(
        int schemaVersion,
        String commandId,
        String runId,
        String type,
        Double learningRate,
        String reason,
        String alertId,
        Instant timestamp,
        String studyId,
        String trialId,
        String mode) {

    public static final String SET_LEARNING_RATE = "set-learning-rate";
    public static final String STOP = "stop";
    public static final Set<String> TYPES = Set.of(SET_LEARNING_RATE, STOP);

    public static final String APPLY = "apply";
    public static final String SUGGEST = "suggest";
    public static final Set<String> MODES = Set.of(APPLY, SUGGEST);

    public TunerCommand {
        Contract.requireText("commandId", commandId);
        Contract.requireRunId(runId);
        Contract.requireOneOf("type", type, TYPES);
        if (SET_LEARNING_RATE.equals(type)
                && (learningRate == null || !Double.isFinite(learningRate) || learningRate <= 0)) {
            throw new IllegalArgumentException("learningRate must be a finite number > 0 for set-learning-rate");
        }
        Contract.requireText("reason", reason);
        if (mode != null) {
            Contract.requireOneOf("mode", mode, MODES);
        }
    }

    /** A command to apply (no {@code mode}). */
    public TunerCommand(int schemaVersion, String commandId, String runId, String type, Double learningRate,
                        String reason, String alertId, Instant timestamp, String studyId, String trialId) {
        this(schemaVersion, commandId, runId, type, learningRate, reason, alertId, timestamp, studyId, trialId, null);
    }

    /** Whether this is only a suggestion: never applied, never confirmed. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isSuggestion() {
        return SUGGEST.equals(mode);
    }
}
