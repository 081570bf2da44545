package io.trainwatch.tuner.engine;

import io.trainwatch.events.Contract;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The commands sent to the trials of studies and their retry bookkeeping: a command stays pending until
 * {@code command-applied} confirms it; one not confirmed within {@link EngineSettings#commandConfirmTimeout()}
 * is sent again with the same id, at most {@link EngineSettings#commandMaxAttempts()} times, then reported
 * unconfirmed (a stop never confirmed gives the trial up as lost).
 */
final class CommandLedger {

    private final EngineSettings settings;
    private final Clock clock;
    private final DecisionLog log;

    CommandLedger(EngineSettings settings, Clock clock, DecisionLog log) {
        this.settings = settings;
        this.clock = clock;
        this.log = log;
    }

    /** Sends a stop: the trial is stopping until the trainer confirms it. */
    void sendStop(StudyState s, TrialState t, Effects fx, String alertId, String reason, String commandId) {
        t.status = TrialStatus.STOPPING;
        send(s, t, fx, new PendingCommand(commandId, TunerCommand.STOP, null, reason, alertId, 1, clock.instant()));
    }

    /** Sends a command (replacing a pending one with the same id) and keeps it pending. */
    void send(StudyState s, TrialState t, Effects fx, PendingCommand p) {
        t.pending.removeIf(c -> c.commandId().equals(p.commandId()));
        t.pending.add(p);
        fx.command(command(s, t, p));
    }

    private TunerCommand command(StudyState s, TrialState t, PendingCommand p) {
        return new TunerCommand(Contract.SCHEMA_VERSION, p.commandId(), t.runId, p.type(), p.learningRate(),
                p.reason(), p.alertId(), clock.instant(), s.id, t.trialId);
    }

    /**
     * The trial ended (or was lost) with commands still pending: each gets its outcome, {@code not-applied},
     * and nothing waits for it any more.
     */
    void notApplied(TrialState t, Effects fx, String why) {
        for (PendingCommand p : t.pending) {
            log.trial(t, fx, notApplied(clock.instant(), t.trialId, p, t.lastStep, why));
        }
        t.pending.clear();
    }

    /** The decision that records a pending command as never applied, e.g. "set-learning-rate 0.001 not applied: the run ended at step 399". */
    static Decision notApplied(Instant at, String trialId, PendingCommand p, long lastStep, String why) {
        return new Decision(at, trialId, DecisionLog.COMMAND, p.alertId(), null, lastStep >= 0 ? lastStep : null,
                Decision.NOT_APPLIED, p.type() + (p.learningRate() == null ? "" : " " + Ranges.fmt(p.learningRate()))
                + " not applied: " + why, p.commandId());
    }

    /** Why a trial's pending commands were never applied, from its last step: "the run ended at step N". */
    static String endedAt(TrialState t) {
        return t.lastStep >= 0 ? "the run ended at step " + t.lastStep : "the run ended before its first step";
    }

    /**
     * Sends again the trial's commands whose confirmation is overdue, or reports them unconfirmed after the last
     * attempt; an unconfirmed stop gives the trial up as lost ({@code onLost} finishes it).
     */
    void retryOverdue(StudyState s, TrialState t, Instant now, Effects fx, Runnable onLost) {
        Duration timeout = settings.commandConfirmTimeout();
        for (PendingCommand p : List.copyOf(t.pending)) {
            if (now.isBefore(p.lastSentAt().plus(timeout))) {
                continue;
            }
            t.pending.remove(p);
            if (p.attempts() < settings.commandMaxAttempts()) {
                PendingCommand again = p.resent(now);
                t.pending.add(again);
                fx.command(command(s, t, again));
                log.trial(t, fx, new Decision(now, t.trialId, DecisionLog.COMMAND, p.alertId(), null, null,
                        Decision.RETRY, p.type() + " not confirmed within " + timeout.toSeconds() + " s: sent again (attempt "
                        + again.attempts() + " of " + settings.commandMaxAttempts() + ")", p.commandId()));
            } else {
                Decision d = new Decision(now, t.trialId, DecisionLog.COMMAND, p.alertId(), null, null, Decision.UNCONFIRMED,
                        p.type() + " never confirmed after " + p.attempts() + " attempts"
                        + (TunerCommand.STOP.equals(p.type()) ? ": the trial is given up as lost" : ""), p.commandId());
                log.trial(t, fx, d);
                log.study(s, fx, d);
                if (TunerCommand.STOP.equals(p.type())) {
                    onLost.run();
                }
            }
            fx.changed(s);
        }
    }
}
