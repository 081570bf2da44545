package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/** A command sent to a trial's trainer and not yet confirmed by {@code command-applied}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PendingCommand(
        String commandId,
        String type,
        Double learningRate,
        String reason,
        String alertId,
        int attempts,
        Instant lastSentAt) {

    public PendingCommand resent(Instant at) {
        return new PendingCommand(commandId, type, learningRate, reason, alertId, attempts + 1, at);
    }
}
