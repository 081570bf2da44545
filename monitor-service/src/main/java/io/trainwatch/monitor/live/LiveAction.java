package io.trainwatch.monitor.live;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.TunerCommand;

import java.time.Instant;
import java.util.Map;

/**
 * One tuner action on the live page, merged from the command on {@code tuner.commands} and the trainer's
 * {@code command-applied}, whichever is read first. Guarded by the {@link LiveStore}'s lock.
 */
final class LiveAction {

    static final String ISSUED = "issued";
    static final String SUGGESTED = "suggested";
    static final String APPLIED = "applied";
    /** Reasons are clipped to this many characters. */
    static final int MAX_REASON = 500;

    final String commandId;
    String type;
    Number learningRate;
    String reason;
    String alertId;
    Instant issuedAt;
    String mode;
    String status;
    Long issuedStep;
    Number previousLearningRate;
    String kind;
    String detector;
    Long appliedStep;
    Instant appliedAt;

    LiveAction(String commandId) {
        this.commandId = commandId;
    }

    /**
     * Folds the command in: it says what was asked, why, and which alert it answers. {@code alertStep} is the
     * step of that alert when the feed has read it, {@code runStep} and {@code runLearningRate} the run's now.
     */
    void command(TunerCommand c, Instant now, Long alertStep, long runStep, Double runLearningRate) {
        type = c.type();
        if (c.learningRate() != null) {
            learningRate = c.learningRate();
        }
        reason = clip(c.reason());
        if (c.alertId() != null) {
            alertId = c.alertId();
        }
        issuedAt = c.timestamp() == null ? now : c.timestamp();
        if (c.isSuggestion()) {
            // Shown apart from commands: only suggested to the run's owner, never applied nor confirmed.
            mode = TunerCommand.SUGGEST;
            status = SUGGESTED;
        } else if (status == null) {
            status = ISSUED;
        }
        issuedStep = alertStep != null ? alertStep : Math.max(runStep, 0);
        if (previousLearningRate == null && runLearningRate != null) {
            previousLearningRate = runLearningRate;
        }
        kind();
    }

    /** Folds the trainer's confirmation in: when it was applied, and the rate before and after. */
    void applied(CommandApplied c) {
        if (type == null) {
            type = c.command() == null ? "command" : c.command();
        }
        appliedStep = c.step();
        appliedAt = c.timestamp();
        status = APPLIED;
        if (c.details() != null) {
            Map<String, Object> d = c.details();
            if (learningRate == null && d.get("learningRate") instanceof Number lr) {
                learningRate = lr;
            }
            if (d.get("previousLearningRate") instanceof Number prev) {
                previousLearningRate = prev;
            }
            if (reason == null && d.get("reason") instanceof String r) {
                reason = clip(r);
            }
        }
        if (issuedStep == null) {
            issuedStep = c.step();
        }
        kind();
    }

    /** The alert this action answers: its detector, and its step as where the action was issued. */
    void answers(Alert alert) {
        detector = alert.detector();
        issuedStep = alert.step();
    }

    /** decay, raise or stop: what the page draws. */
    private void kind() {
        if (TunerCommand.STOP.equals(type)) {
            kind = "stop";
        } else if (learningRate != null && previousLearningRate != null) {
            kind = learningRate.doubleValue() < previousLearningRate.doubleValue() ? "decay" : "raise";
        } else if (kind == null) {
            kind = TunerCommand.SET_LEARNING_RATE;
        }
    }

    LiveViews.ActionView view(String runId) {
        return new LiveViews.ActionView(runId, commandId, type, learningRate, reason, alertId, issuedAt, mode, status,
                issuedStep, previousLearningRate, kind, detector, appliedStep, appliedAt);
    }

    static String clip(String s) {
        return s == null || s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON) + "...";
    }
}
