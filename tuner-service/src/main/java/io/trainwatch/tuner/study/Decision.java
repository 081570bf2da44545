package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/**
 * One decision of the tuner, with what caused it: the policy that decided ({@code plateau},
 * {@code divergence}, ..., {@code search}, {@code command}, {@code study}), the alert (id, detector, step)
 * when an alert caused it, the action taken and a sentence of detail.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Decision(
        Instant at,
        String trialId,
        String policy,
        String alertId,
        String detector,
        Long step,
        String action,
        String detail,
        String commandId) {

    public static final String SET_LEARNING_RATE = "set-learning-rate";
    public static final String STOP = "stop";
    public static final String IGNORE = "ignore";
    /** A plateau decay put off while the trial's validation objective still improves. */
    public static final String DEFERRED = "deferred";
    public static final String ADJUST_SPACE = "adjust-space";
    public static final String NARROW = "narrow";
    public static final String REMEDY = "remedy";
    public static final String RETRY = "retry";
    public static final String UNCONFIRMED = "unconfirmed";
    public static final String CONFIRMED = "confirmed";
    /** The outcome of a command the run never applied because it ended (or was lost) first. */
    public static final String NOT_APPLIED = "not-applied";
    /** What a learning-rate raise came to, some validations after it (whether the best value rose). */
    public static final String OUTCOME = "outcome";
}
