package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.Reaction;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.Sampler;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.PendingCommand;
import io.trainwatch.tuner.study.RemedyPlan;
import io.trainwatch.tuner.study.Round;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tuner's state machine, free of Kafka and Quarkus: it creates studies and their trials round by
 * round, reacts to alerts and training events through the {@link AlertPolicy}, retries unconfirmed
 * commands, narrows the ranges between rounds and ends studies at their budget. Every input returns the
 * {@link Effects} to carry out. Deterministic for a given input sequence and clock: trial ids, run ids,
 * command ids and sampled points are derived from the study id, seed and trial index, so a restart from a
 * stored state reproduces them exactly. Not thread-safe: the caller serialises the calls.
 */
public final class StudyEngine {

    private final AlertPolicy policy;
    private final EngineSettings settings;
    private final Clock clock;
    private final Map<String, StudyState> studies = new LinkedHashMap<>();
    /** runId -> studyId, for events that carry no study id. */
    private final Map<String, String> runIndex = new HashMap<>();
    private final Set<String> softDirty = new LinkedHashSet<>();
    private Instant lastFlush;

    public StudyEngine(AlertPolicy policy, EngineSettings settings, Clock clock) {
        this.policy = policy;
        this.settings = settings;
        this.clock = clock;
        this.lastFlush = clock.instant();
    }

    public EngineSettings settings() {
        return settings;
    }

    public AlertPolicy policy() {
        return policy;
    }

    public Collection<StudyState> studies() {
        return studies.values();
    }

    public Optional<StudyState> study(String id) {
        return Optional.ofNullable(studies.get(id));
    }

    // ---------------------------------------------------------------- studies

    /** Starts a study: its first round and as many trials as may run at once. */
    public Effects create(String id, StudySpec spec) {
        if (studies.containsKey(id)) {
            throw new IllegalStateException("study '" + id + "' exists already");
        }
        makeRoom();
        Instant now = clock.instant();
        StudyState s = new StudyState();
        s.id = id;
        s.spec = spec;
        s.createdAt = now;
        s.updatedAt = now;
        s.space = new LinkedHashMap<>(spec.space());
        int[] perRound = spec.budget().trialsPerRound();
        s.rounds.add(new Round(0, perRound[0], spec.budget().stepsForRound(0), s.space, "random search over the requested ranges"));
        studies.put(id, s);
        Effects fx = new Effects();
        studyDecision(s, fx, new Decision(now, null, "search", null, null, null, "start", "round 0: " + perRound[0]
                + " random trials of " + spec.budget().stepsForRound(0) + " steps over " + describe(s.space), null));
        fill(s, fx);
        fx.changed(s);
        return fx;
    }

    /** Stops a study: no new trials; running ones are told to stop. */
    public Effects stop(String id, String reason) {
        StudyState s = studies.get(id);
        if (s == null) {
            throw new IllegalArgumentException("no study '" + id + "'");
        }
        Effects fx = new Effects();
        if (!s.isRunning()) {
            return fx;
        }
        Instant now = clock.instant();
        s.status = StudyState.STOPPED;
        s.stopReason = reason;
        s.finishedAt = now;
        for (TrialState t : s.trials) {
            if (TrialState.RUNNING.equals(t.status) || TrialState.QUEUED.equals(t.status)) {
                sendStop(s, t, fx, "study", null, "the study was stopped: " + reason, t.runId + "/stop/study");
                if (TrialState.QUEUED.equals(t.status)) {
                    t.status = TrialState.STOPPED;
                    t.finishedAt = now;
                }
            }
        }
        studyDecision(s, fx, new Decision(now, null, "study", null, null, null, Decision.STOP, reason, null));
        fx.changed(s);
        return fx;
    }

    /**
     * Rebuilds the engine from stored studies. {@code published} holds the {@code studyId/trialId} of every
     * trial found on the trials topic: trials the state knows but the topic lacks (the tuner stopped between
     * writing the state and the trial) are published again; none is published twice.
     */
    public Effects restore(Collection<StudyState> stored, Set<String> published) {
        Effects fx = new Effects();
        for (StudyState s : stored) {
            studies.put(s.id, s);
            for (TrialState t : s.trials) {
                runIndex.put(t.runId, s.id);
                if (TrialState.QUEUED.equals(t.status) && !published.contains(s.id + "/" + t.trialId)) {
                    fx.trial(toTrial(s, t));
                }
            }
        }
        while (studies.size() > settings.maxStudies()) {
            if (!evictOneFinished()) {
                break;
            }
        }
        for (StudyState s : studies.values()) {
            if (s.isRunning()) {
                int before = s.trials.size();
                fill(s, fx);
                if (s.trials.size() != before || !s.isRunning()) {
                    fx.changed(s);
                }
            }
        }
        return fx;
    }

    // ---------------------------------------------------------------- alerts

    /** Reacts to an alert from {@code training.alerts}. Alerts of unknown runs, resolutions and replays change nothing. */
    public Effects onAlert(Alert alert) {
        Effects fx = new Effects();
        if (!Alert.FIRING.equals(alert.status())) {
            dropDeferred(alert, fx);
            return fx;
        }
        Located at = locate(alert.studyId(), alert.trialId(), alert.runId());
        if (at == null || !at.study.isRunning() || !TrialState.RUNNING.equals(at.trial.status)
                && !TrialState.QUEUED.equals(at.trial.status)) {
            return fx;
        }
        StudyState s = at.study;
        TrialState t = at.trial;
        if (!s.spec.reactions() || !t.firstSight(alert.alertId())) {
            return fx;
        }
        Instant now = clock.instant();
        Reaction r = policy.react(alert, t, s);
        act(s, t, fx, r, alert.alertId(), alert.detector(), alert.step());
        for (Reaction.Adjustment a : r.adjustments()) {
            adjust(s, t, alert, a, fx);
        }
        if (r.remedy() != null && s.spec.remedies() && !Trial.REMEDY.equals(t.origin)) {
            s.remedyQueue.add(new RemedyPlan(t.trialId, r.policy(), r.remedy()));
            studyDecision(s, fx, new Decision(now, t.trialId, r.policy(), alert.alertId(), alert.detector(), alert.step(),
                    Decision.REMEDY, "next trial retries " + t.trialId + " with " + diff(t.params, r.remedy()), null));
        }
        fx.changed(s);
        fill(s, fx);
        return fx;
    }

    /** Sends what a reaction asks of the trial (a new rate, a stop) and records the decision. */
    private void act(StudyState s, TrialState t, Effects fx, Reaction r, String alertId, String detector, long step) {
        Instant now = clock.instant();
        String commandId = null;
        switch (r.action()) {
            case Decision.SET_LEARNING_RATE -> {
                commandId = t.runId + "/" + alertId + "/lr";
                send(s, t, fx, new PendingCommand(commandId, TunerCommand.SET_LEARNING_RATE, r.learningRate(),
                        r.policy() + ": " + r.detail(), alertId, 1, now));
            }
            case Decision.STOP -> {
                commandId = t.runId + "/" + alertId + "/stop";
                t.stopReason = r.policy();
                t.stopDetector = detector;
                sendStop(s, t, fx, r.policy(), alertId, r.policy() + ": " + r.detail(), commandId);
            }
            default -> {
            }
        }
        trialDecision(s, t, fx, new Decision(now, t.trialId, r.policy(), alertId, detector, step, r.action(), r.detail(),
                commandId));
    }

    /** A resolved plateau alert whose decay was deferred: the plateau is over, the decision is dropped. */
    private void dropDeferred(Alert alert, Effects fx) {
        if (alert.alertId() == null) {
            return;
        }
        Located at = locate(alert.studyId(), alert.trialId(), alert.runId());
        if (at == null || !alert.alertId().equals(at.trial.deferredPlateauAlertId)) {
            return;
        }
        AlertPolicy.clearDeferred(at.trial);
        trialDecision(at.study, at.trial, fx, new Decision(clock.instant(), at.trial.trialId, AlertPolicy.PLATEAU,
                alert.alertId(), alert.detector(), alert.step(), Decision.IGNORE,
                "deferred decay dropped: the plateau alert resolved at step " + alert.step(), null));
        fx.changed(at.study);
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
        studyDecision(s, fx, new Decision(now, t.trialId, alert.detector(), alert.alertId(), alert.detector(),
                alert.step(), Decision.ADJUST_SPACE, detail, null));
    }

    // ---------------------------------------------------------------- training events

    /** Follows a trial's events from {@code training.events}: progress, best value, confirmations, its end. */
    public Effects onEvent(TrainingEvent event) {
        Effects fx = new Effects();
        Located at = locate(event.studyId(), event.trialId(), event.runId());
        if (at == null) {
            return fx;
        }
        StudyState s = at.study;
        TrialState t = at.trial;
        Instant now = clock.instant();
        t.lastEventAt = now;
        if (TrialState.QUEUED.equals(t.status) && !(event instanceof RunFinished)) {
            t.status = TrialState.RUNNING;
            t.startedAt = now;
            fx.changed(s);
        }
        t.lastStep = Math.max(t.lastStep, event.stepOrMinusOne());
        if (event instanceof StepEvent) {
            softDirty.add(s.id);
        } else if (event instanceof RunStarted) {
            fx.changed(s);
        } else if (event instanceof ValidationEvent v) {
            Double value = s.spec.objective().metric(v.validationAccuracy(), v.validationLoss());
            if (value != null) {
                t.lastValue = value;
                if (s.spec.objective().better(value, t.best, 0)) {
                    t.best = value;
                    t.bestStep = v.step();
                    t.bestEpoch = v.epoch();
                }
                policy.observeValidation(t, s, value);
                if (t.deferredPlateauAlertId != null && TrialState.RUNNING.equals(t.status) && s.isRunning()
                        && s.spec.reactions()) {
                    String alertId = t.deferredPlateauAlertId;
                    Reaction r = policy.reconsider(t, s, v.step());
                    if (r != null) {
                        act(s, t, fx, r, alertId, AlertPolicy.PLATEAU, v.step());
                        fill(s, fx);
                    }
                }
                fx.changed(s);
            }
        } else if (event instanceof CommandApplied applied) {
            confirmed(s, t, applied, fx);
        } else if (event instanceof RunFinished finished) {
            finished(s, t, finished, fx);
        }
        return fx;
    }

    private void confirmed(StudyState s, TrialState t, CommandApplied applied, Effects fx) {
        PendingCommand p = t.pending.stream().filter(c -> c.commandId().equals(applied.commandId())).findFirst().orElse(null);
        if (p == null) {
            return;
        }
        t.pending.remove(p);
        trialDecision(s, t, fx, new Decision(clock.instant(), t.trialId, "command", p.alertId(), null, applied.step(),
                Decision.CONFIRMED, p.type() + (p.learningRate() == null ? "" : " " + Ranges.fmt(p.learningRate()))
                + " applied at step " + applied.step() + (applied.details() == null || applied.details().isEmpty() ? ""
                : " " + applied.details()), p.commandId()));
        if (TunerCommand.STOP.equals(p.type()) && t.isActive()) {
            finish(s, t, TrialState.STOPPED, fx);
        }
        fx.changed(s);
    }

    private void finished(StudyState s, TrialState t, RunFinished f, Effects fx) {
        t.finishStatus = f.status();
        t.pending.clear();
        if (t.isActive()) {
            String status = switch (f.status()) {
                case RunFinished.DIVERGED -> TrialState.DIVERGED;
                case RunFinished.FAILED -> TrialState.FAILED;
                case RunFinished.STOPPED -> TrialState.STOPPED;
                default -> TrialState.STOPPING.equals(t.status) ? TrialState.STOPPED : TrialState.COMPLETED;
            };
            if (RunFinished.DIVERGED.equals(f.status()) && t.stopReason == null && s.isRunning() && s.spec.reactions()) {
                // The trainer saw a non-finite loss before any alert reached us: same lesson for the space.
                Alert synthetic = new Alert(Contract.SCHEMA_VERSION, "run-finished/" + t.runId, Alert.FIRING, t.runId,
                        s.id, t.trialId, AlertPolicy.DIVERGENCE, Alert.CRITICAL, f.step(), 0, f.timestamp(),
                        "the run finished as diverged", null, null, Alert.ACTION_STOP);
                Reaction r = policy.react(synthetic, t, s);
                t.stopReason = AlertPolicy.DIVERGENCE;
                t.stopDetector = "run-finished";
                trialDecision(s, t, fx, new Decision(clock.instant(), t.trialId, AlertPolicy.DIVERGENCE, null,
                        "run-finished", f.step(), Decision.STOP, "the trainer ended the run as diverged"
                        + (f.reason() == null ? "" : " (" + f.reason() + ")"), null));
                for (Reaction.Adjustment a : r.adjustments()) {
                    adjust(s, t, synthetic, a, fx);
                }
            }
            finish(s, t, status, fx);
        }
        fx.changed(s);
    }

    private void finish(StudyState s, TrialState t, String status, Effects fx) {
        t.status = status;
        t.finishedAt = clock.instant();
        if (t.stopReason == null && !TrialState.COMPLETED.equals(status)) {
            t.stopReason = status;
        }
        fill(s, fx);
    }

    // ---------------------------------------------------------------- time

    /** Retries unconfirmed commands, declares silent trials lost, and persists progress now and then. */
    public Effects tick() {
        Effects fx = new Effects();
        Instant now = clock.instant();
        Duration timeout = settings.commandConfirmTimeout();
        for (StudyState s : List.copyOf(studies.values())) {
            for (TrialState t : List.copyOf(s.trials)) {
                if (!t.isActive()) {
                    continue;
                }
                for (PendingCommand p : List.copyOf(t.pending)) {
                    if (now.isBefore(p.lastSentAt().plus(timeout))) {
                        continue;
                    }
                    t.pending.remove(p);
                    if (p.attempts() < settings.commandMaxAttempts()) {
                        PendingCommand again = p.resent(now);
                        t.pending.add(again);
                        fx.command(command(s, t, again));
                        trialDecision(s, t, fx, new Decision(now, t.trialId, "command", p.alertId(), null, null,
                                Decision.RETRY, p.type() + " not confirmed within " + timeout.toSeconds() + " s: sent again (attempt "
                                + again.attempts() + " of " + settings.commandMaxAttempts() + ")", p.commandId()));
                    } else {
                        Decision d = new Decision(now, t.trialId, "command", p.alertId(), null, null, Decision.UNCONFIRMED,
                                p.type() + " never confirmed after " + p.attempts() + " attempts"
                                + (TunerCommand.STOP.equals(p.type()) ? ": the trial is given up as lost" : ""), p.commandId());
                        trialDecision(s, t, fx, d);
                        studyDecision(s, fx, d);
                        if (TunerCommand.STOP.equals(p.type())) {
                            finish(s, t, TrialState.LOST, fx);
                        }
                    }
                    fx.changed(s);
                }
                if (t.isActive() && t.lastEventAt != null
                        && !now.isBefore(t.lastEventAt.plus(settings.trialSilenceTimeout()))) {
                    trialDecision(s, t, fx, new Decision(now, t.trialId, "trial", null, null, null, Decision.STOP,
                            "no event for " + settings.trialSilenceTimeout().toSeconds() + " s: the trial is lost", null));
                    t.stopReason = "silent";
                    t.pending.clear();
                    finish(s, t, TrialState.LOST, fx);
                    fx.changed(s);
                }
            }
        }
        if (!softDirty.isEmpty() && !now.isBefore(lastFlush.plus(settings.persistInterval()))) {
            for (String id : softDirty) {
                StudyState s = studies.get(id);
                if (s != null) {
                    fx.changed(s);
                }
            }
            softDirty.clear();
            lastFlush = now;
        }
        for (StudyState s : fx.changedStudies()) {
            s.updatedAt = now;
        }
        return fx;
    }

    // ---------------------------------------------------------------- search

    /** Starts trials while the round and the concurrency allow; moves to the next round; ends the study. */
    private void fill(StudyState s, Effects fx) {
        while (s.isRunning()) {
            Round round = s.currentRound();
            long active = s.trials.stream().filter(TrialState::isActive).count();
            long inRound = s.trials.stream().filter(t -> t.round == round.index()).count();
            if (inRound < round.trials()) {
                if (active >= s.spec.budget().concurrentTrials()) {
                    return;
                }
                newTrial(s, round, fx);
                continue;
            }
            if (active > 0) {
                return;
            }
            if (round.index() + 1 < s.spec.budget().rounds() && s.rounds.size() < s.spec.budget().trialsPerRound().length) {
                nextRound(s, fx);
                continue;
            }
            complete(s, fx);
        }
    }

    private void newTrial(StudyState s, Round round, Effects fx) {
        Instant now = clock.instant();
        int index = s.trials.size();
        TrialState t = new TrialState();
        t.index = index;
        t.round = round.index();
        t.trialId = String.format("t%03d", index);
        t.runId = s.id + "-" + t.trialId;
        t.seed = Sampler.trialSeed(s.spec.seed(), index);
        t.maxSteps = round.stepsPerTrial();
        t.createdAt = now;
        if (!s.remedyQueue.isEmpty() && s.spec.remedies()) {
            RemedyPlan plan = s.remedyQueue.remove(0);
            t.origin = Trial.REMEDY;
            t.remedyOf = plan.remedyOf();
            t.params = new LinkedHashMap<>(plan.params());
        } else {
            t.origin = round.index() == 0 ? Trial.RANDOM : Trial.REFINE;
            t.params = Sampler.sample(s.space, s.favoured, policy.settings().favourShare(),
                    Sampler.randomFor(s.spec.seed(), index));
        }
        Object lr = t.params.containsKey(TrainerParameters.LEARNING_RATE) ? t.params.get(TrainerParameters.LEARNING_RATE)
                : s.spec.model().get(TrainerParameters.LEARNING_RATE);
        t.learningRate = lr instanceof Number n && n.doubleValue() > 0 ? n.doubleValue() : null;
        s.trials.add(t);
        runIndex.put(t.runId, s.id);
        fx.trial(toTrial(s, t));
        fx.changed(s);
    }

    private void nextRound(StudyState s, Effects fx) {
        Instant now = clock.instant();
        int index = s.rounds.size();
        List<TrialState> ranked = s.trials.stream().filter(t -> t.best != null)
                .sorted((a, b) -> s.spec.objective().compareBestFirst(a.best, b.best)).toList();
        int k = Math.min(ranked.size(), Math.max(settings.narrowTopMin(),
                (int) Math.ceil(settings.narrowTopFraction() * ranked.size())));
        List<TrialState> top = ranked.subList(0, k);
        Map<String, ParamSpec> before = new LinkedHashMap<>(s.space);
        String how;
        if (top.isEmpty()) {
            how = "no trial has a validation value yet: ranges kept";
        } else {
            List<Map<String, Object>> points = top.stream().map(t -> t.params).toList();
            s.space = new LinkedHashMap<>(Ranges.narrow(s.space, points, settings.narrowMargin(), settings.narrowMinKeep()));
            how = "narrowed around the top " + k + " trials " + top.stream().map(t -> t.trialId).toList();
        }
        int trials = s.spec.budget().trialsPerRound()[index];
        long steps = s.spec.budget().stepsForRound(index);
        s.rounds.add(new Round(index, trials, steps, s.space, how));
        studyDecision(s, fx, new Decision(now, null, "search", null, null, null, Decision.NARROW, "round " + index + ": "
                + trials + " trials of " + steps + " steps; " + how + "; " + changes(before, s.space), null));
        fx.changed(s);
    }

    private void complete(StudyState s, Effects fx) {
        Instant now = clock.instant();
        s.status = StudyState.COMPLETED;
        s.finishedAt = now;
        String best = s.bestTrial().map(t -> "best trial " + t.trialId + " with " + Ranges.fmt(t.best) + " at step "
                + t.bestStep).orElse("no trial reported a validation value");
        studyDecision(s, fx, new Decision(now, null, "study", null, null, null, "complete", "budget spent ("
                + s.trials.size() + " trials, " + s.stepsTrained() + " steps): " + best, null));
        fx.changed(s);
    }

    // ---------------------------------------------------------------- helpers

    /** The trial message for a trial of a study; the same for the same state (used again after a restart). */
    public static Trial toTrial(StudyState s, TrialState t) {
        Map<String, Object> base = new LinkedHashMap<>(s.spec.model());
        if (s.spec.dataset() != null) {
            base.put("dataset", s.spec.dataset());
        }
        // The trainer refuses initStd beside an initialisation that has no spread (He, Xavier...): a trial (or a
        // remedy) that switches a normal/uniform base to such an init drops the base's initStd.
        Object init = t.params.get(TrainerParameters.WEIGHT_INIT);
        if (init != null && !"normal".equals(String.valueOf(init)) && !"uniform".equals(String.valueOf(init))) {
            base.remove("initStd");
        }
        return new Trial(Contract.SCHEMA_VERSION, s.id, t.trialId, t.runId,
                TrainerParameters.forTrainer(t.params, s.spec.model(), t.seed), new Trial.Budget(t.maxSteps, null),
                t.origin, base, t.createdAt);
    }

    private void sendStop(StudyState s, TrialState t, Effects fx, String policyName, String alertId, String reason,
                          String commandId) {
        t.status = TrialState.STOPPING;
        send(s, t, fx, new PendingCommand(commandId, TunerCommand.STOP, null, reason, alertId, 1, clock.instant()));
    }

    private void send(StudyState s, TrialState t, Effects fx, PendingCommand p) {
        t.pending.removeIf(c -> c.commandId().equals(p.commandId()));
        t.pending.add(p);
        fx.command(command(s, t, p));
    }

    private TunerCommand command(StudyState s, TrialState t, PendingCommand p) {
        return new TunerCommand(Contract.SCHEMA_VERSION, p.commandId(), t.runId, p.type(), p.learningRate(),
                p.reason(), p.alertId(), clock.instant(), s.id, t.trialId);
    }

    private void trialDecision(StudyState s, TrialState t, Effects fx, Decision d) {
        t.addDecision(d, settings.maxDecisionsPerTrial());
        fx.decision(d);
    }

    private void studyDecision(StudyState s, Effects fx, Decision d) {
        s.addDecision(d, settings.maxStudyDecisions());
        if (!"command".equals(d.policy())) {
            fx.decision(d);
        }
    }

    private record Located(StudyState study, TrialState trial) {
    }

    private Located locate(String studyId, String trialId, String runId) {
        StudyState s = studyId == null ? null : studies.get(studyId);
        if (s == null && runId != null) {
            String id = runIndex.get(runId);
            s = id == null ? null : studies.get(id);
        }
        if (s == null) {
            return null;
        }
        TrialState t = null;
        for (TrialState x : s.trials) {
            if (x.runId.equals(runId) || trialId != null && x.trialId.equals(trialId) && runId == null) {
                t = x;
                break;
            }
        }
        return t == null ? null : new Located(s, t);
    }

    private void makeRoom() {
        while (studies.size() >= settings.maxStudies()) {
            if (!evictOneFinished()) {
                throw new IllegalStateException("too many running studies (" + studies.size() + "): stop one first");
            }
        }
    }

    private boolean evictOneFinished() {
        for (StudyState s : studies.values()) {
            if (!s.isRunning()) {
                studies.remove(s.id);
                s.trials.forEach(t -> runIndex.remove(t.runId));
                return true;
            }
        }
        return false;
    }

    private static String describe(Map<String, ParamSpec> space) {
        StringBuilder b = new StringBuilder();
        space.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(Ranges.describe(v)));
        return b.toString();
    }

    private static String changes(Map<String, ParamSpec> before, Map<String, ParamSpec> after) {
        List<String> out = new ArrayList<>();
        after.forEach((k, v) -> {
            if (!v.equals(before.get(k))) {
                out.add(k + " " + Ranges.describe(before.get(k)) + " -> " + Ranges.describe(v));
            }
        });
        return out.isEmpty() ? "no range changed" : String.join(", ", out);
    }

    private static String diff(Map<String, Object> a, Map<String, Object> b) {
        List<String> out = new ArrayList<>();
        b.forEach((k, v) -> {
            if (!v.equals(a.get(k))) {
                out.add(k + "=" + (v instanceof Double d ? Ranges.fmt(d) : v));
            }
        });
        return out.isEmpty() ? "the same point" : String.join(", ", out);
    }
}
