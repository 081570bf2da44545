package io.trainwatch.monitor.live;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.TunerCommand;

import java.time.Clock;
import java.time.Instant;

/**
 * Folds the tuner's side of a run into its {@link LiveAction}s: commands and suggestions of {@code tuner.commands},
 * the trainer's confirmations, and the alerts they answer. An action's detector is the detector of the alert it
 * answers, found by the command's {@code alertId}; a command that names no alert is matched to the run's alert
 * that fired at the step the command was issued, and otherwise has none. Guarded by the {@link LiveStore}'s lock.
 */
final class TunerActions {

    private final int maxActions;
    private final Clock clock;
    private final LiveChanges changes;

    TunerActions(int maxActions, Clock clock, LiveChanges changes) {
        this.maxActions = maxActions;
        this.clock = clock;
        this.changes = changes;
    }

    void command(LiveRun run, TunerCommand c) {
        if (c.studyId() != null) {
            run.studyId = c.studyId();
        }
        if (c.trialId() != null) {
            run.trialId = c.trialId();
        }
        Alert answered = alert(run, c.alertId());
        LiveAction a = action(run, c.commandId());
        a.command(c, Instant.ofEpochMilli(clock.millis()), answered == null ? null : answered.step(), run.step,
                run.learningRate);
        detector(run, a);
    }

    void applied(LiveRun run, CommandApplied c) {
        LiveAction a = action(run, c.commandId());
        a.applied(c);
        detector(run, a);
    }

    /** The tuner may answer an alert before this feed has read it: place the action at the alert's step. */
    void alertRead(LiveRun run, Alert alert) {
        if (!Alert.FIRING.equals(alert.status())) {
            return;
        }
        for (LiveAction a : run.actions.values()) {
            if (alert.alertId().equals(a.alertId)) {
                a.answers(alert);
                changes.actionChanged(run.runId, a.commandId);
            }
        }
    }

    private LiveAction action(LiveRun run, String commandId) {
        LiveAction a = run.actions.get(commandId);
        if (a == null) {
            a = new LiveAction(commandId);
            run.actions.put(commandId, a);
            while (run.actions.size() > maxActions) {
                run.actions.remove(run.actions.keySet().iterator().next());
            }
        }
        changes.actionChanged(run.runId, commandId);
        return a;
    }

    private static void detector(LiveRun run, LiveAction a) {
        Alert answered = alert(run, a.alertId);
        if (answered != null) {
            a.detector = answered.detector();
        } else if (a.alertId == null && a.detector == null && a.issuedStep != null) {
            for (Alert x : run.alerts) {
                if (Alert.FIRING.equals(x.status()) && x.step() == a.issuedStep) {
                    a.detector = x.detector(); // the latest alert fired at that step
                }
            }
        }
    }

    /** The first alert of the run the feed holds with this id, or null. */
    private static Alert alert(LiveRun run, String alertId) {
        if (alertId == null) {
            return null;
        }
        for (Alert x : run.alerts) {
            if (x.alertId().equals(alertId)) {
                return x;
            }
        }
        return null;
    }
}
