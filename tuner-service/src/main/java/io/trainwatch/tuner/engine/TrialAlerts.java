package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.Reaction;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.RemedyPlan;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Carries out the {@link AlertPolicy}'s reactions on the trials of studies: the command to the trial (a new
 * rate, a stop), the adjustments of the study's ranges and favoured choices, the remedy trial queued, and the
 * decisions. Alerts on preflight trials are recorded and otherwise left to the preflight step.
 */
final class TrialAlerts {

    private final AlertPolicy policy;
    private final Clock clock;
    private final DecisionLog log;
    private final CommandLedger commands;
    private final StudyRounds rounds;

    TrialAlerts(AlertPolicy policy, Clock clock, DecisionLog log, CommandLedger commands, StudyRounds rounds) {
        this.policy = policy;
        this.clock = clock;
        this.log = log;
        this.commands = commands;
        this.rounds = rounds;
    }

    /** Reacts to an alert on a trial of a study; resolutions change nothing (but drop a deferred decay). */
    Effects onAlert(Alert alert, StudyRegistry.Located at) {
        Effects fx = new Effects();
        if (!Alert.FIRING.equals(alert.status())) {
            dropDeferred(alert, at, fx);
            return fx;
        }
        if (!at.study().isRunning() || at.trial().status != TrialStatus.RUNNING
                && at.trial().status != TrialStatus.QUEUED) {
            return fx;
        }
        StudyState s = at.study();
        TrialState t = at.trial();
        if (t.isPreflight()) {
            // A preflight step judges its run itself (the range test diverges on purpose): no remedy, no change
            // to the search, nothing held against the study.
            if (t.firstSight(alert.alertId())) {
                log.trial(t, fx, new Decision(clock.instant(), t.trialId, alert.detector(), alert.alertId(),
                        alert.detector(), alert.step(), Decision.IGNORE, "alert on a preflight trial: the preflight "
                        + "step judges this run; no remedy and no change to the search", null));
                fx.changed(s);
            }
            return fx;
        }
        if (!s.spec.reactions() || !t.firstSight(alert.alertId())) {
            return fx;
        }
        Reaction r = policy.react(alert, t, s);
        apply(s, t, r, alert, fx);
        return fx;
    }

    /** Carries out a reaction: the command and decision, the space's adjustments, the remedy trial; then fills the study. */
    private void apply(StudyState s, TrialState t, Reaction r, Alert alert, Effects fx) {
        Instant now = clock.instant();
        act(s, t, fx, r, alert.alertId(), alert.detector(), alert.step());
        for (Reaction.Adjustment a : r.adjustments()) {
            adjust(s, t, alert, a, fx);
        }
        if (r.remedy() != null && s.spec.remedies() && !Trial.REMEDY.equals(t.origin)) {
            s.remedyQueue.add(new RemedyPlan(t.trialId, r.policy(), r.remedy()));
            log.study(s, fx, new Decision(now, t.trialId, r.policy(), alert.alertId(), alert.detector(), alert.step(),
                    Decision.REMEDY, "next trial retries " + t.trialId + " with " + StudyText.diff(t.params, r.remedy()),
                    null));
        }
        fx.changed(s);
        rounds.fill(s, fx);
    }

    /** At a validation of a search trial: decides a plateau decay deferred while validation improved, if now due. */
    void reconsiderDeferred(StudyState s, TrialState t, long step, Effects fx) {
        if (t.plateau.deferredUnderfittingAlertId != null && t.status == TrialStatus.RUNNING && s.isRunning()
                && s.spec.reactions()) {
            String alertId = t.plateau.deferredUnderfittingAlertId;
            Reaction r = policy.reconsiderUnderfitting(t, s, step, clock.instant());
            if (r != null) {
                String detector = DetectorName.UNDERFITTING.id();
                apply(s, t, r, new Alert(Contract.SCHEMA_VERSION, alertId, Alert.FIRING, t.runId, s.id, t.trialId,
                        detector, Alert.WARNING, step, 0, clock.instant(), "underfitting (deferred)", null, null, null), fx);
                if (Decision.STOP.equals(r.action())) {
                    return;
                }
            }
        }
        if (t.plateau.deferredPlateauAlertId != null && t.status == TrialStatus.RUNNING && s.isRunning() && s.spec.reactions()) {
            String alertId = t.plateau.deferredPlateauAlertId;
            Reaction r = policy.reconsider(t, s, step);
            if (r != null) {
                act(s, t, fx, r, alertId, DetectorName.PLATEAU.id(), step);
                rounds.fill(s, fx);
            }
        }
    }

    /**
     * The trainer ended a trial as diverged before any alert reached the tuner (it saw a non-finite loss): the
     * same lesson for the search space as a divergence alert, recorded as a stop.
     */
    void divergedByTrainer(StudyState s, TrialState t, RunFinished f, Effects fx) {
        String divergence = DetectorName.DIVERGENCE.id();
        Alert synthetic = new Alert(Contract.SCHEMA_VERSION, "run-finished/" + t.runId, Alert.FIRING, t.runId,
                s.id, t.trialId, divergence, Alert.CRITICAL, f.step(), 0, f.timestamp(),
                "the run finished as diverged", null, null, Alert.ACTION_STOP);
        Reaction r = policy.react(synthetic, t, s);
        t.stopReason = divergence;
        t.stopDetector = "run-finished";
        log.trial(t, fx, new Decision(clock.instant(), t.trialId, divergence, null,
                "run-finished", f.step(), Decision.STOP, "the trainer ended the run as diverged"
                + (f.reason() == null ? "" : " (" + f.reason() + ")"), null));
        for (Reaction.Adjustment a : r.adjustments()) {
            adjust(s, t, synthetic, a, fx);
        }
    }

    /** Sends what a reaction asks of the trial (a new rate, a stop) and records the decision. */
    private void act(StudyState s, TrialState t, Effects fx, Reaction r, String alertId, String detector, long step) {
        Instant now = clock.instant();
        String commandId = null;
        switch (r.action()) {
            case Decision.SET_LEARNING_RATE -> {
                commandId = t.runId + "/" + alertId + "/lr";
                commands.send(s, t, fx, new PendingCommand(commandId, TunerCommand.SET_LEARNING_RATE, r.learningRate(),
                        r.policy() + ": " + r.detail(), alertId, 1, now));
            }
            case Decision.STOP -> {
                commandId = t.runId + "/" + alertId + "/stop";
                t.stopReason = r.policy();
                t.stopDetector = detector;
                commands.sendStop(s, t, fx, alertId, r.policy() + ": " + r.detail(), commandId);
            }
            default -> {
            }
        }
        log.trial(t, fx, new Decision(now, t.trialId, r.policy(), alertId, detector, step, r.action(), r.detail(),
                commandId));
    }

    /** A resolved plateau alert whose decay was deferred: the plateau is over, the decision is dropped. */
    private void dropDeferred(Alert alert, StudyRegistry.Located at, Effects fx) {
        if (alert.alertId() != null && alert.alertId().equals(at.trial().plateau.deferredUnderfittingAlertId)) {
            AlertPolicy.clearDeferredUnderfitting(at.trial());
            log.trial(at.trial(), fx, new Decision(clock.instant(), at.trial().trialId, DetectorName.UNDERFITTING.id(),
                    alert.alertId(), alert.detector(), alert.step(), Decision.IGNORE,
                    "deferred stop dropped: the underfitting alert resolved at step " + alert.step(), null));
            fx.changed(at.study());
            return;
        }
        if (alert.alertId() == null || !alert.alertId().equals(at.trial().plateau.deferredPlateauAlertId)) {
            return;
        }
        AlertPolicy.clearDeferred(at.trial());
        log.trial(at.trial(), fx, new Decision(clock.instant(), at.trial().trialId, DetectorName.PLATEAU.id(),
                alert.alertId(), alert.detector(), alert.step(), Decision.IGNORE,
                "deferred decay dropped: the plateau alert resolved at step " + alert.step(), null));
        fx.changed(at.study());
    }

    private void adjust(StudyState s, TrialState t, Alert alert, Reaction.Adjustment a, Effects fx) {
        Instant now = clock.instant();
        String detail;
        if (Reaction.Adjustment.FAVOUR.equals(a.kind())) {
            List<Object> before = s.favoured.get(a.parameter());
            if (a.favoured().equals(before)) {
                return;
            }
            s.favoured.put(a.parameter(), List.copyOf(a.favoured()));
            detail = a.why() + ": " + a.parameter() + " favours " + a.favoured() + " in "
                    + Math.round(policy.settings().favourShare() * 100) + " % of samples";
        } else {
            ParamSpec p = s.space.get(a.parameter());
            if (p == null || !p.isNumeric()) {
                return;
            }
            ParamSpec q = Reaction.Adjustment.LOWER_CEILING.equals(a.kind())
                    ? Ranges.lowerCeiling(p, a.value(), policy.settings().minRangeKeep())
                    : Ranges.raiseFloor(p, a.value(), policy.settings().minRangeKeep());
            if (q.equals(p)) {
                return;
            }
            s.space.put(a.parameter(), q);
            detail = a.why() + ": " + a.parameter() + " " + Ranges.describe(p) + " -> " + Ranges.describe(q);
        }
        log.study(s, fx, new Decision(now, t.trialId, alert.detector(), alert.alertId(), alert.detector(),
                alert.step(), Decision.ADJUST_SPACE, detail, null));
    }
}
