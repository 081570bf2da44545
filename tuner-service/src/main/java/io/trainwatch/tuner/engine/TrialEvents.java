package io.trainwatch.tuner.engine;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Follows the trials of studies through their events (progress, best value, confirmations, their end) and
 * through time (commands overdue, trials silent too long): a trial's status moves
 * {@code queued -> running -> [stopping ->] completed | stopped | diverged | failed | lost}, and each trial that
 * ends lets the study start the next ones.
 */
final class TrialEvents {

    private final EngineSettings settings;
    private final AlertPolicy policy;
    private final Clock clock;
    private final StudyRegistry registry;
    private final DecisionLog log;
    private final CommandLedger commands;
    private final StudyRounds rounds;
    private final PreflightRunner preflight;
    private final TrialAlerts alerts;

    TrialEvents(EngineSettings settings, AlertPolicy policy, Clock clock, StudyRegistry registry, DecisionLog log,
                CommandLedger commands, StudyRounds rounds, PreflightRunner preflight, TrialAlerts alerts) {
        this.settings = settings;
        this.policy = policy;
        this.clock = clock;
        this.registry = registry;
        this.log = log;
        this.commands = commands;
        this.rounds = rounds;
        this.preflight = preflight;
        this.alerts = alerts;
    }

    /** Follows an event of a trial of a study. */
    Effects onEvent(TrainingEvent event, StudyRegistry.Located at) {
        Effects fx = new Effects();
        StudyState s = at.study();
        TrialState t = at.trial();
        Instant now = clock.instant();
        t.lastEventAt = now;
        if (t.status == TrialStatus.QUEUED && !(event instanceof RunFinished)) {
            t.status = TrialStatus.RUNNING;
            t.startedAt = now;
            fx.changed(s);
        }
        progress(t, event);
        if (event instanceof StepEvent step) {
            if (t.isPreflight()) {
                preflight.onStep(s, t, step, fx);
            } else {
                registry.softDirty(s);
            }
        } else if (event instanceof RunStarted started) {
            if (t.isPreflight()) {
                preflight.onRunStarted(s, t, started);
            }
            fx.changed(s);
        } else if (event instanceof ValidationEvent v && !t.isPreflight()) {
            validation(s, t, v, fx);
        } else if (event instanceof CommandApplied applied) {
            confirmed(s, t, applied, fx);
        } else if (event instanceof RunFinished finished) {
            finished(s, t, finished, fx);
        }
        return fx;
    }

    /**
     * Moves the count of steps a trial (or steered run) trained on by one of its events, exactly: a step or a
     * validation at index i means steps 0..i ran; {@code command-applied} carries the first step that runs under
     * the command (the client library's {@code Run.applyPending}), so only the steps before it ran, and a stop
     * applied at i means the run trained exactly i steps; {@code run-finished} carries the last step done, but
     * no further than a stop that took effect (it says 0 for a run stopped before its first step).
     */
    static void progress(TrialState t, TrainingEvent event) {
        if (event instanceof CommandApplied applied) {
            t.lastStep = Math.max(t.lastStep, applied.step() - 1);
            if (t.stoppedAtStep == null && isStop(t, applied)) {
                t.stoppedAtStep = applied.step();
            }
        } else if (event instanceof RunFinished f && t.stoppedAtStep != null) {
            t.lastStep = Math.max(t.lastStep, Math.min(f.step(), t.stoppedAtStep - 1));
        } else {
            t.lastStep = Math.max(t.lastStep, event.stepOrMinusOne());
        }
    }

    /** Whether a confirmation is of a stop: it says so, or it confirms a stop of ours. */
    private static boolean isStop(TrialState t, CommandApplied applied) {
        return TunerCommand.STOP.equals(applied.command()) || t.pending.stream()
                .anyMatch(p -> p.commandId().equals(applied.commandId()) && TunerCommand.STOP.equals(p.type()));
    }

    private void validation(StudyState s, TrialState t, ValidationEvent v, Effects fx) {
        if (t.stoppedAtStep != null) {
            // Measured at the stop, not where the run's schedule put a validation: a stop is no place to score the
            // trial (the trainer makes none there; another trainer may), so it never becomes the trial's best.
            return;
        }
        Double value = s.spec.objective().metric(v.validationAccuracy(), v.validationLoss());
        if (value == null) {
            return;
        }
        t.lastValue = value;
        if (s.spec.objective().better(value, t.best, 0)) {
            t.best = value;
            t.bestStep = v.step();
            t.bestEpoch = v.epoch();
        }
        policy.observeValidation(t, s, value);
        String raised = policy.raiseOutcome(t, s);
        if (raised != null) {
            log.trial(t, fx, new Decision(clock.instant(), t.trialId, AlertPolicy.RAISE, null, null, v.step(),
                    Decision.OUTCOME, raised, null));
        }
        alerts.reconsiderDeferred(s, t, v.step(), fx);
        fx.changed(s);
    }

    private void confirmed(StudyState s, TrialState t, CommandApplied applied, Effects fx) {
        PendingCommand p = t.pending.stream().filter(c -> c.commandId().equals(applied.commandId())).findFirst().orElse(null);
        if (p == null) {
            return;
        }
        t.pending.remove(p);
        log.trial(t, fx, new Decision(clock.instant(), t.trialId, DecisionLog.COMMAND, p.alertId(), null, applied.step(),
                Decision.CONFIRMED, p.type() + (p.learningRate() == null ? "" : " " + Ranges.fmt(p.learningRate()))
                + " applied at step " + applied.step() + (applied.details() == null || applied.details().isEmpty() ? ""
                : " " + applied.details()), p.commandId()));
        if (TunerCommand.STOP.equals(p.type())) {
            // No step runs after the stop: a command still pending can no longer change the trial.
            commands.notApplied(t, fx, CommandLedger.endedAt(t));
            if (t.isActive()) {
                finish(s, t, TrialStatus.STOPPED, fx);
            }
        }
        fx.changed(s);
    }

    private void finished(StudyState s, TrialState t, RunFinished f, Effects fx) {
        t.finishStatus = f.status();
        t.finishReason = f.reason();
        commands.notApplied(t, fx, CommandLedger.endedAt(t));
        if (t.isActive()) {
            TrialStatus status = endStatus(f, t);
            if (RunFinished.DIVERGED.equals(f.status()) && t.stopReason == null && s.isRunning() && s.spec.reactions()
                    && !t.isPreflight()) {
                alerts.divergedByTrainer(s, t, f, fx);
            }
            finish(s, t, status, fx);
        }
        fx.changed(s);
    }

    /** The status a trial (or steered run) ends with, from its {@code run-finished}. */
    static TrialStatus endStatus(RunFinished f, TrialState t) {
        return switch (f.status()) {
            case RunFinished.DIVERGED -> TrialStatus.DIVERGED;
            case RunFinished.FAILED -> TrialStatus.FAILED;
            case RunFinished.STOPPED -> TrialStatus.STOPPED;
            default -> t.status == TrialStatus.STOPPING ? TrialStatus.STOPPED : TrialStatus.COMPLETED;
        };
    }

    private void finish(StudyState s, TrialState t, TrialStatus status, Effects fx) {
        t.status = status;
        t.finishedAt = clock.instant();
        if (t.stopReason == null && status != TrialStatus.COMPLETED) {
            t.stopReason = status.id();
        }
        if (t.isPreflight()) {
            preflight.trialEnded(s, t, status, fx);
        }
        rounds.fill(s, fx);
    }

    /** Retries unconfirmed commands, declares silent trials lost, and persists progress now and then. */
    void tick(Instant now, Effects fx) {
        for (StudyState s : List.copyOf(registry.all())) {
            for (TrialState t : List.copyOf(s.trials)) {
                if (!t.isActive()) {
                    continue;
                }
                commands.retryOverdue(s, t, now, fx, () -> finish(s, t, TrialStatus.LOST, fx));
                if (t.isActive() && t.lastEventAt != null
                        && !now.isBefore(t.lastEventAt.plus(settings.trialSilenceTimeout()))) {
                    log.trial(t, fx, new Decision(now, t.trialId, "trial", null, null, null, Decision.STOP,
                            "no event for " + settings.trialSilenceTimeout().toSeconds() + " s: the trial is lost", null));
                    t.stopReason = "silent";
                    commands.notApplied(t, fx, "the trial was lost (no event for "
                            + settings.trialSilenceTimeout().toSeconds() + " s)");
                    finish(s, t, TrialStatus.LOST, fx);
                    fx.changed(s);
                }
            }
        }
        registry.flushSoftDirty(now, fx);
        for (StudyState s : fx.changedStudies()) {
            s.updatedAt = now;
        }
    }
}
