package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.Reaction;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.ValidationPoint;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.StudyBudget;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Steers runs that are not trials of a study but declared {@code control.mode} {@code auto} or {@code suggest}
 * in their {@code run-started}. The same {@link AlertPolicy} as for trials decides (decay on a plateau with its
 * cooldown and floor, raise-back, a raise of a rate the monitor finds too low, stop on divergence, vanishing
 * gradients, bad initialisation, overfitting), within the run's own limits ({@code maxDecays},
 * {@code minLearningRate}, {@code allowStop}); search-space adjustments and remedy trials have no study to act on
 * and are skipped. In {@code auto} a decision is a command, retried until {@code command-applied} confirms it, as
 * for trials; in {@code suggest} it is published once as a command with {@code mode: suggest} and never awaits a
 * confirmation. A run with no control, or {@code off}, is not tracked at all.
 *
 * <p>Bounded: at most {@link SteerSettings#maxRuns()} runs (the oldest finished evicted first, else the one
 * silent the longest), finished runs evicted after {@link SteerSettings#finishedRetention()}, alerts that come
 * before their run's {@code run-started} kept up to {@link SteerSettings#maxEarlyAlerts()}. Plain Java, driven
 * by an injected clock, not thread-safe: {@link StudyEngine} owns it and serialises the calls. The runs held and
 * their eviction are {@link SteeredRuns}, the commands and their retries {@link RunCommands}, the alerts that
 * come early {@link EarlyAlerts}.
 */
public final class RunSteering {

    /** The policy name of this engine's own decisions (start, end, eviction). */
    public static final String RUN = "run";
    /** The decision action of a suggestion. */
    public static final String SUGGEST = "suggest";

    private final AlertPolicy policy;
    private final EngineSettings engineSettings;
    private final SteerSettings settings;
    private final Clock clock;
    private final SteeredRuns runs;
    /** Alerts of runs not (yet) known, and the runs seen with no control (or off), at most maxRuns. */
    private final EarlyAlerts early;
    private final RunCommands commands;

    public RunSteering(AlertPolicy policy, EngineSettings engineSettings, SteerSettings settings, Clock clock) {
        this.policy = policy;
        this.engineSettings = engineSettings;
        this.settings = settings;
        this.clock = clock;
        this.runs = new SteeredRuns(settings, engineSettings.persistInterval(), clock);
        this.early = new EarlyAlerts(settings.maxEarlyAlerts(), settings.maxRuns());
        this.commands = new RunCommands(engineSettings, clock);
    }

    public SteerSettings settings() {
        return settings;
    }

    public Collection<SteeredRun> runs() {
        return runs.all();
    }

    public Optional<SteeredRun> run(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** Reloads stored runs (a restart); beyond the bound, the oldest finished ones are dropped (and deleted). */
    public Effects restore(Collection<SteeredRun> stored) {
        Effects fx = new Effects();
        runs.restore(stored, fx);
        return fx;
    }

    // ---------------------------------------------------------------- events

    /** Follows a run's events: its start (and control), rate, validations, confirmations and end. */
    public Effects onEvent(TrainingEvent event) {
        Effects fx = new Effects();
        if (event instanceof RunStarted started) {
            started(started, fx);
            return fx;
        }
        SteeredRun r = runs.get(event.runId());
        if (r == null || !r.isActive()) {
            return fx;
        }
        TrialState t = r.state;
        Instant now = clock.instant();
        t.lastEventAt = now;
        TrialEvents.progress(t, event);
        if (event instanceof StepEvent step) {
            Double lr = step.learningRate();
            // The run's actual rate, unless a rate of ours is on its way (older steps still carry the old one).
            if (lr != null && Double.isFinite(lr) && lr > 0 && t.pending.stream()
                    .noneMatch(p -> TunerCommand.SET_LEARNING_RATE.equals(p.type()))) {
                t.learningRate = lr;
            }
            runs.softDirty(r);
        } else if (event instanceof ValidationEvent v) {
            validation(r, v, fx);
        } else if (event instanceof CommandApplied applied) {
            confirmed(r, applied, fx);
        } else if (event instanceof RunFinished finished) {
            finished(r, finished, fx);
        }
        return fx;
    }

    private void started(RunStarted e, Effects fx) {
        RunControl control = e.controlOrOff();
        SteeredRun known = runs.get(e.runId());
        if (known != null) {
            // A replayed or repeated run-started: the run keeps its state (a run id is steered once).
            return;
        }
        if (!control.steerable()) {
            early.notSteered(e.runId());
            return;
        }
        Instant now = clock.instant();
        SteeredRun r = new SteeredRun();
        r.runId = e.runId();
        r.control = control;
        r.startedAt = now;
        r.updatedAt = now;
        TrialState t = r.state;
        t.runId = r.runId;
        t.status = TrialStatus.RUNNING;
        t.createdAt = now;
        t.startedAt = now;
        t.lastEventAt = now;
        t.origin = RUN;
        Double lr = e.config().learningRate();
        t.learningRate = lr != null && Double.isFinite(lr) && lr > 0 ? lr : null;
        t.plateau.maxDecays = control.maxDecays();
        t.plateau.minLearningRate = control.minLearningRate();
        runs.add(r, fx);
        commands.decide(r, fx, new Decision(now, null, RUN, null, null, null, "start", "steering in mode " + control.mode()
                + limits(control) + (t.learningRate == null ? "" : "; learning rate " + Ranges.fmt(t.learningRate)),
                null));
        fx.changed(r);
        for (Alert a : early.takeFor(r.runId)) {
            fx.addAll(onAlert(a));
        }
    }

    private static String limits(RunControl c) {
        List<String> out = new ArrayList<>();
        if (c.maxDecays() != null) {
            out.add("at most " + c.maxDecays() + " decays");
        }
        if (c.minLearningRate() != null) {
            out.add("learning rate >= " + Ranges.fmt(c.minLearningRate()));
        }
        if (!c.stopAllowed()) {
            out.add("never stopped");
        }
        return out.isEmpty() ? "" : " (" + String.join(", ", out) + ")";
    }

    private void validation(SteeredRun r, ValidationEvent v, Effects fx) {
        TrialState t = r.state;
        r.addValidation(ValidationPoint.of(v));
        fx.changed(r);
        if (r.objective == null) {
            r.objective = v.validationLoss() != null && Double.isFinite(v.validationLoss())
                    ? Objective.MINIMIZE_VALIDATION_LOSS
                    : v.validationAccuracy() != null && Double.isFinite(v.validationAccuracy())
                    ? Objective.MAXIMIZE_VALIDATION_ACCURACY : null;
        }
        if (r.objective == null) {
            return;
        }
        Double value = r.objective.metric(v.validationAccuracy(), v.validationLoss());
        if (value == null) {
            return;
        }
        t.lastValue = value;
        if (r.objective.better(value, t.best, 0)) {
            t.best = value;
            t.bestStep = v.step();
            t.bestEpoch = v.epoch();
        }
        StudyState view = policyView(r);
        policy.observeValidation(t, view, value);
        String raised = policy.raiseOutcome(t, view);
        if (raised != null) {
            commands.decide(r, fx, new Decision(clock.instant(), null, AlertPolicy.RAISE, null, null, v.step(),
                    Decision.OUTCOME, raised, null));
        }
        if (t.plateau.deferredPlateauAlertId != null && t.status == TrialStatus.RUNNING) {
            String alertId = t.plateau.deferredPlateauAlertId;
            Reaction reaction = policy.reconsider(t, view, v.step());
            if (reaction != null) {
                act(r, fx, reaction, alertId, DetectorName.PLATEAU.id(), v.step());
            }
        }
        fx.changed(r);
    }

    private void confirmed(SteeredRun r, CommandApplied applied, Effects fx) {
        TrialState t = r.state;
        PendingCommand p = t.pending.stream().filter(c -> c.commandId().equals(applied.commandId())).findFirst()
                .orElse(null);
        if (p == null) {
            return;
        }
        t.pending.remove(p);
        commands.decide(r, fx, new Decision(clock.instant(), null, DecisionLog.COMMAND, p.alertId(), null, applied.step(),
                Decision.CONFIRMED, p.type() + (p.learningRate() == null ? "" : " " + Ranges.fmt(p.learningRate()))
                + " applied at step " + applied.step(), p.commandId()));
        if (TunerCommand.STOP.equals(p.type())) {
            commands.notApplied(r, fx, CommandLedger.endedAt(t));
            end(r, TrialStatus.STOPPED, fx);
        }
        fx.changed(r);
    }

    private void finished(SteeredRun r, RunFinished f, Effects fx) {
        TrialState t = r.state;
        t.finishStatus = f.status();
        t.finishReason = f.reason();
        commands.notApplied(r, fx, CommandLedger.endedAt(t));
        TrialStatus status = TrialEvents.endStatus(f, t);
        commands.decide(r, fx, new Decision(clock.instant(), null, RUN, null, null, f.step(), "end", "run-finished "
                + f.status() + (f.reason() == null ? "" : " (" + f.reason() + ")") + ": no longer steered", null));
        end(r, status, fx);
    }

    private void end(SteeredRun r, TrialStatus status, Effects fx) {
        TrialState t = r.state;
        t.status = status;
        t.finishedAt = clock.instant();
        if (t.stopReason == null && status != TrialStatus.COMPLETED) {
            t.stopReason = status.id();
        }
        AlertPolicy.clearDeferred(t);
        fx.changed(r);
    }

    // ---------------------------------------------------------------- alerts

    /** Reacts to an alert on a run outside the studies: nothing for unknown (kept a while), finished or off runs. */
    public Effects onAlert(Alert alert) {
        Effects fx = new Effects();
        SteeredRun r = runs.get(alert.runId());
        if (!Alert.FIRING.equals(alert.status())) {
            if (r != null && alert.alertId() != null && alert.alertId().equals(r.state.plateau.deferredPlateauAlertId)) {
                AlertPolicy.clearDeferred(r.state);
                commands.decide(r, fx, new Decision(clock.instant(), null, DetectorName.PLATEAU.id(), alert.alertId(),
                        alert.detector(), alert.step(), Decision.IGNORE, "deferred decay dropped: the plateau alert resolved at step "
                        + alert.step(), null));
                fx.changed(r);
            }
            return fx;
        }
        if (r == null) {
            early.keep(alert);
            return fx;
        }
        if (r.state.status != TrialStatus.RUNNING || !r.state.firstSight(alert.alertId())) {
            return fx;
        }
        Reaction reaction = policy.react(alert, r.state, policyView(r));
        // Adjustments of a search space and remedy trials need a study: a run outside one gets neither.
        act(r, fx, reaction, alert.alertId(), alert.detector(), alert.step());
        fx.changed(r);
        return fx;
    }

    private void act(SteeredRun r, Effects fx, Reaction reaction, String alertId, String detector, long step) {
        TrialState t = r.state;
        Instant now = clock.instant();
        String action = reaction.action();
        String reason = reaction.policy() + ": " + reaction.detail();
        switch (action) {
            case Decision.SET_LEARNING_RATE -> {
                String id = t.runId + "/" + alertId + "/lr";
                PendingCommand p = new PendingCommand(id, TunerCommand.SET_LEARNING_RATE, reaction.learningRate(),
                        reason, alertId, 1, now);
                if (r.applies()) {
                    commands.send(r, fx, p);
                    commands.decide(r, fx, new Decision(now, null, reaction.policy(), alertId, detector, step, action,
                            reaction.detail(), id));
                } else {
                    commands.suggest(r, fx, p, reaction.policy(), detector, step);
                }
            }
            case Decision.STOP -> {
                String id = t.runId + "/" + alertId + "/stop";
                if (!r.control.stopAllowed()) {
                    commands.decide(r, fx, new Decision(now, null, reaction.policy(), alertId, detector, step, Decision.IGNORE,
                            "would stop (" + reaction.detail() + "), but the run does not allow stops "
                            + "(control.allowStop false)", null));
                    return;
                }
                PendingCommand p = new PendingCommand(id, TunerCommand.STOP, null, reason, alertId, 1, now);
                if (r.applies()) {
                    t.stopReason = reaction.policy();
                    t.stopDetector = detector;
                    t.status = TrialStatus.STOPPING;
                    commands.send(r, fx, p);
                    commands.decide(r, fx, new Decision(now, null, reaction.policy(), alertId, detector, step, action,
                            reaction.detail(), id));
                } else {
                    commands.suggest(r, fx, p, reaction.policy(), detector, step);
                }
            }
            default -> commands.decide(r, fx, new Decision(now, null, reaction.policy(), alertId, detector, step,
                    Decision.ADJUST_SPACE.equals(action) ? Decision.IGNORE : action, reaction.detail(), null));
        }
    }

    /** The policy reads a study's objective and space: a run outside a study has an empty space (no adjustments). */
    private static StudyState policyView(SteeredRun r) {
        StudyState s = new StudyState();
        s.id = r.key();
        s.spec = new StudySpec("steered run " + r.runId, r.objective == null ? Objective.MINIMIZE_VALIDATION_LOSS
                : r.objective, Map.of(), new StudyBudget(1, 1, 1, 1, 1.0), null, null, 0, false, true);
        return s;
    }

    /** Alerts held for runs whose run-started has not been read (for tests and the REST view). */
    public int earlyAlerts() {
        return early.count();
    }

    // ---------------------------------------------------------------- time

    /** Retries unconfirmed commands, gives up silent runs, evicts finished runs past their retention. */
    public Effects tick() {
        Effects fx = new Effects();
        Instant now = clock.instant();
        for (SteeredRun r : runs.evictExpiredAndListActive(now, fx)) {
            TrialState t = r.state;
            commands.retryOverdue(r, now, fx, () -> end(r, TrialStatus.LOST, fx));
            if (r.isActive() && t.lastEventAt != null
                    && !now.isBefore(t.lastEventAt.plus(engineSettings.trialSilenceTimeout()))) {
                commands.decide(r, fx, new Decision(now, null, RUN, null, null, null, Decision.STOP, "no event for "
                        + engineSettings.trialSilenceTimeout().toSeconds() + " s: the run is lost, no longer steered", null));
                t.stopReason = "silent";
                commands.notApplied(r, fx, "the run was lost (no event for "
                        + engineSettings.trialSilenceTimeout().toSeconds() + " s)");
                end(r, TrialStatus.LOST, fx);
            }
        }
        runs.flushSoftDirty(now, fx);
        for (SteeredRun r : fx.changedRuns()) {
            r.updatedAt = now;
        }
        return fx;
    }
}
