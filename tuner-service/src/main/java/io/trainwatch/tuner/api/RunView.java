package io.trainwatch.tuner.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trainwatch.events.RunControl;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.TrialState;

import java.time.Instant;
import java.util.List;

/**
 * A run steered outside the studies as {@code GET /runs/{id}} shows it: its declared control, status, the
 * rate as the tuner knows it, decays, best validation value, commands awaiting confirmation and every
 * decision (with the alert that caused it). A copy: safe to serialise outside the tuner's lock.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunView(
        String runId,
        RunControl control,
        String status,
        String stopReason,
        Instant startedAt,
        Instant finishedAt,
        Instant lastEventAt,
        long lastStep,
        Double learningRate,
        int decays,
        int suggestions,
        String objective,
        Double best,
        Long bestStep,
        List<PendingCommand> pending,
        List<Decision> decisions) {

    /** One line of {@code GET /runs}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Summary(String runId, String mode, String status, long lastStep, Double learningRate, int decays,
                          int suggestions, int pending, Decision lastDecision) {
    }

    public static RunView of(SteeredRun r) {
        TrialState t = r.state;
        return new RunView(r.runId, r.control, t.status.id(), t.stopReason, r.startedAt, t.finishedAt, t.lastEventAt,
                t.lastStep, t.learningRate, t.plateau.decays, r.suggestions, r.objective == null ? null : r.objective.id(),
                t.best, t.bestStep, List.copyOf(t.pending), List.copyOf(t.decisions));
    }

    public static Summary summary(SteeredRun r) {
        TrialState t = r.state;
        return new Summary(r.runId, r.control.mode(), t.status.id(), t.lastStep, t.learningRate, t.plateau.decays, r.suggestions,
                t.pending.size(), t.decisions.isEmpty() ? null : t.decisions.get(t.decisions.size() - 1));
    }
}
