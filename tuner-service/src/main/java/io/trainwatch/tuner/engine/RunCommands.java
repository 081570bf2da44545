package io.trainwatch.tuner.engine;

import io.trainwatch.events.Contract;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.TrialState;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The commands and suggestions sent to steered runs, their decisions, and the retry bookkeeping of the
 * commands: as for trials ({@link CommandLedger}), a command not confirmed within the confirm timeout is sent
 * again with the same id, at most the maximum number of attempts, then reported unconfirmed. A suggestion is
 * published once and never awaits a confirmation.
 */
final class RunCommands {

    private final EngineSettings settings;
    private final Clock clock;

    RunCommands(EngineSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** Records a decision on the run (bounded as a trial's). */
    void decide(SteeredRun r, Effects fx, Decision d) {
        r.state.addDecision(d, settings.maxDecisionsPerTrial());
        fx.decision(d);
    }

    /** Sends a command (replacing a pending one with the same id) and keeps it pending. */
    void send(SteeredRun r, Effects fx, PendingCommand p) {
        r.state.pending.removeIf(c -> c.commandId().equals(p.commandId()));
        r.state.pending.add(p);
        fx.command(command(r, p, null));
    }

    /** The run ended (or was lost) with commands pending: each gets its outcome, not applied (as for trials). */
    void notApplied(SteeredRun r, Effects fx, String why) {
        for (PendingCommand p : r.state.pending) {
            decide(r, fx, CommandLedger.notApplied(clock.instant(), null, p, r.state.lastStep, why));
        }
        r.state.pending.clear();
    }

    /** Publishes what would be done, once: no pending command, nothing to confirm or retry. */
    void suggest(SteeredRun r, Effects fx, PendingCommand p, String policyName, String detector, long step) {
        r.suggestions++;
        fx.command(command(r, p, TunerCommand.SUGGEST));
        decide(r, fx, new Decision(clock.instant(), null, policyName, p.alertId(), detector, step, RunSteering.SUGGEST,
                p.type() + (p.learningRate() == null ? "" : " " + Ranges.fmt(p.learningRate())) + " suggested, not applied: "
                + p.reason(), p.commandId()));
    }

    private TunerCommand command(SteeredRun r, PendingCommand p, String mode) {
        return new TunerCommand(Contract.SCHEMA_VERSION, p.commandId(), r.runId, p.type(), p.learningRate(), p.reason(),
                p.alertId(), clock.instant(), null, null, mode);
    }

    /**
     * Sends again the run's commands whose confirmation is overdue, or reports them unconfirmed after the last
     * attempt; an unconfirmed stop gives the run up as lost ({@code onLost} ends it).
     */
    void retryOverdue(SteeredRun r, Instant now, Effects fx, Runnable onLost) {
        TrialState t = r.state;
        Duration timeout = settings.commandConfirmTimeout();
        for (PendingCommand p : List.copyOf(t.pending)) {
            if (now.isBefore(p.lastSentAt().plus(timeout))) {
                continue;
            }
            t.pending.remove(p);
            if (p.attempts() < settings.commandMaxAttempts()) {
                PendingCommand again = p.resent(now);
                t.pending.add(again);
                fx.command(command(r, again, null));
                decide(r, fx, new Decision(now, null, DecisionLog.COMMAND, p.alertId(), null, null, Decision.RETRY,
                        p.type() + " not confirmed within " + timeout.toSeconds() + " s: sent again (attempt "
                        + again.attempts() + " of " + settings.commandMaxAttempts() + ")", p.commandId()));
            } else {
                decide(r, fx, new Decision(now, null, DecisionLog.COMMAND, p.alertId(), null, null, Decision.UNCONFIRMED,
                        p.type() + " never confirmed after " + p.attempts() + " attempts"
                        + (TunerCommand.STOP.equals(p.type()) ? ": the run is given up as lost" : ""), p.commandId()));
                if (TunerCommand.STOP.equals(p.type())) {
                    onLost.run();
                }
            }
            fx.changed(r);
        }
    }
}
