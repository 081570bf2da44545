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
import io.trainwatch.tuner.preflight.InitialLossStep;
import io.trainwatch.tuner.preflight.OverfitStep;
import io.trainwatch.tuner.preflight.PreflightSpec;
import io.trainwatch.tuner.preflight.PreflightState;
import io.trainwatch.tuner.preflight.RangeTestStep;
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

    /** The policy name of preflight decisions. */
    public static final String PREFLIGHT = "preflight";

    private final AlertPolicy policy;
    private final EngineSettings settings;
    private final Clock clock;
    private final Map<String, StudyState> studies = new LinkedHashMap<>();
    /** runId -> studyId, for events that carry no study id. */
    private final Map<String, String> runIndex = new HashMap<>();
    private final Set<String> softDirty = new LinkedHashSet<>();
    private final RunSteering runs;
    private Instant lastFlush;

    public StudyEngine(AlertPolicy policy, EngineSettings settings, Clock clock) {
        this(policy, settings, SteerSettings.defaults(), clock);
    }

    public StudyEngine(AlertPolicy policy, EngineSettings settings, SteerSettings steer, Clock clock) {
        this.policy = policy;
        this.settings = settings;
        this.clock = clock;
        this.lastFlush = clock.instant();
        this.runs = new RunSteering(policy, settings, steer, clock);
    }

    /** The steering of runs outside the studies (those that declared control auto or suggest). */
    public RunSteering runs() {
        return runs;
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
        if (spec.preflight() != null && spec.preflight().any()) {
            s.preflight = PreflightState.of(spec.preflight());
            List<String> steps = new ArrayList<>();
            s.preflight.steps().stream().filter(x -> !x.isOver()).forEach(x -> steps.add(x.number() + " " + x.name()));
            studyDecision(s, fx, new Decision(now, null, PREFLIGHT, null, null, null, "start", "preflight before the "
                    + "search (CS231n's tuning procedure): " + String.join(", ", steps), null));
        }
        studyDecision(s, fx, new Decision(now, null, "search", null, null, null, "start", "round 0: " + perRound[0]
                + " random trials of " + spec.budget().stepsForRound(0) + " steps over " + describe(s.space)
                + (s.preflight == null ? "" : ", once the preflight is over"), null));
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
        stopStudy(s, reason, fx);
        return fx;
    }

    private void stopStudy(StudyState s, String reason, Effects fx) {
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
        if (s.preflight != null) {
            for (PreflightState.Step step : s.preflight.steps()) {
                if (!step.isOver()) {
                    step.end(PreflightState.SKIPPED, (step.isRunning() ? "stopped while it ran" : "not run")
                            + ": the study stopped (" + reason + ")");
                }
            }
        }
        studyDecision(s, fx, new Decision(now, null, "study", null, null, null, Decision.STOP, reason, null));
        fx.changed(s);
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

    /**
     * Reacts to an alert from {@code training.alerts}. An alert of a run that is no trial of a study goes to the
     * {@linkplain #runs() run steering}; resolutions and replays change nothing (but drop a deferred decay).
     */
    public Effects onAlert(Alert alert) {
        if (locate(alert.studyId(), alert.trialId(), alert.runId()) == null) {
            return runs.onAlert(alert);
        }
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
        if (t.isPreflight()) {
            // A preflight step judges its run itself (the range test diverges on purpose): no remedy, no change
            // to the search, nothing held against the study.
            if (t.firstSight(alert.alertId())) {
                trialDecision(s, t, fx, new Decision(clock.instant(), t.trialId, alert.detector(), alert.alertId(),
                        alert.detector(), alert.step(), Decision.IGNORE, "alert on a preflight trial: the preflight "
                        + "step judges this run; no remedy and no change to the search", null));
                fx.changed(s);
            }
            return fx;
        }
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

    /**
     * Follows a trial's events from {@code training.events}: progress, best value, confirmations, its end. The
     * events of a run that is no trial of a study go to the {@linkplain #runs() run steering}.
     */
    public Effects onEvent(TrainingEvent event) {
        Effects fx = new Effects();
        Located at = locate(event.studyId(), event.trialId(), event.runId());
        if (at == null) {
            return runs.onEvent(event);
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
        if (event instanceof StepEvent step) {
            if (t.isPreflight()) {
                preflightStep(s, t, step, fx);
            } else {
                softDirty.add(s.id);
            }
        } else if (event instanceof RunStarted started) {
            if (t.isPreflight() && s.preflight != null
                    && s.preflight.stepOf(t.trialId) instanceof InitialLossStep check && check.isRunning()) {
                check.onRunStarted(started.config().lossFunction(), started.config().numClasses());
            }
            fx.changed(s);
        } else if (event instanceof ValidationEvent v && !t.isPreflight()) {
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
        t.finishReason = f.reason();
        t.pending.clear();
        if (t.isActive()) {
            String status = switch (f.status()) {
                case RunFinished.DIVERGED -> TrialState.DIVERGED;
                case RunFinished.FAILED -> TrialState.FAILED;
                case RunFinished.STOPPED -> TrialState.STOPPED;
                default -> TrialState.STOPPING.equals(t.status) ? TrialState.STOPPED : TrialState.COMPLETED;
            };
            if (RunFinished.DIVERGED.equals(f.status()) && t.stopReason == null && s.isRunning() && s.spec.reactions()
                    && !t.isPreflight()) {
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
        if (t.isPreflight()) {
            preflightTrialEnded(s, t, status, fx);
        }
        fill(s, fx);
    }

    // ---------------------------------------------------------------- time

    /** Retries unconfirmed commands, declares silent trials (and steered runs) lost, and persists progress now and then. */
    public Effects tick() {
        Effects fx = runs.tick();
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
        if (s.isRunning() && !preflight(s, fx)) {
            return;
        }
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
        int index = s.searchTrials().size();
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
                + s.searchTrials().size() + " trials, " + s.stepsTrained() + " steps"
                + (s.preflight == null ? "" : " with the preflight's") + "): " + best, null));
        fx.changed(s);
    }

    // ---------------------------------------------------------------- preflight

    /** Starts the preflight's next step when none runs; true when the preflight is over and the search may run. */
    private boolean preflight(StudyState s, Effects fx) {
        if (s.preflight == null) {
            return true;
        }
        PreflightState.Step step = s.preflight.current();
        if (step == null) {
            return true;
        }
        if (PreflightState.PENDING.equals(step.status)) {
            startPreflightTrial(s, step, fx);
        }
        return false;
    }

    private void startPreflightTrial(StudyState s, PreflightState.Step step, Effects fx) {
        Instant now = clock.instant();
        TrialState t = new TrialState();
        t.index = -step.number();
        t.round = -1;
        t.trialId = "p" + step.number() + "-" + switch (step.number()) {
            case 1 -> "initial-loss";
            case 2 -> "overfit-subset";
            default -> "lr-range-test";
        };
        t.runId = s.id + "-" + t.trialId;
        t.seed = Sampler.trialSeed(s.spec.seed(), 1_000_000 + step.number());
        t.maxSteps = Math.max(1, step.maxSteps);
        t.createdAt = now;
        t.origin = Trial.PREFLIGHT;
        Map<String, Object> params = referencePoint(s.spec);
        String what;
        if (step instanceof RangeTestStep r) {
            params.put(TrainerParameters.LEARNING_RATE, r.from);
            Map<String, Object> ramp = new LinkedHashMap<>();
            ramp.put("type", "range");
            ramp.put("from", r.from);
            ramp.put("to", r.to);
            ramp.put("steps", r.maxSteps);
            params.put(TrainerParameters.SCHEDULE, ramp);
            what = "learning rate " + Ranges.fmt(r.from) + " -> " + Ranges.fmt(r.to) + " geometrically over "
                    + r.maxSteps + " steps on the full training set";
        } else {
            params.put(TrainerParameters.L2, 0.0);
            params.put(TrainerParameters.DROPOUT, 0.0);
            if (step instanceof OverfitStep o) {
                params.put(TrainerParameters.SUBSET_BATCHES, o.batches);
                what = "the first " + o.batches + " mini-batches only, regularisation off, at most " + o.maxSteps
                        + " steps, until every batch is fit";
            } else {
                what = step.maxSteps + " steps with regularisation off: the first loss against ln(C)";
            }
        }
        t.params = params;
        Object lr = params.containsKey(TrainerParameters.LEARNING_RATE) ? params.get(TrainerParameters.LEARNING_RATE)
                : s.spec.model().get(TrainerParameters.LEARNING_RATE);
        t.learningRate = lr instanceof Number n && n.doubleValue() > 0 ? n.doubleValue() : null;
        step.status = PreflightState.RUNNING;
        step.trialId = t.trialId;
        s.trials.add(t);
        runIndex.put(t.runId, s.id);
        studyDecision(s, fx, new Decision(now, t.trialId, PREFLIGHT, null, null, null, "start", "step "
                + step.number() + " " + step.name() + ": " + what, null));
        fx.trial(toTrial(s, t));
        fx.changed(s);
    }

    /**
     * The point the preflight trials train: the centre of each requested range (geometric for log-uniform, the
     * middle whole number for integers; for choices, the model's value when it is one of them, else the first),
     * overridden by the request's {@code preflight.hyperparameters}.
     */
    public static Map<String, Object> referencePoint(StudySpec spec) {
        Map<String, Object> p = new LinkedHashMap<>();
        spec.space().forEach((name, range) -> {
            Object v = switch (range.type()) {
                case ParamSpec.LOG_UNIFORM -> Math.sqrt(range.min() * range.max());
                case ParamSpec.UNIFORM -> (range.min() + range.max()) / 2;
                case ParamSpec.INTEGER -> (int) Math.round((range.min() + range.max()) / 2);
                default -> {
                    Object fromModel = spec.model().get(name);
                    yield fromModel != null && range.values().contains(fromModel) ? fromModel : range.values().get(0);
                }
            };
            p.put(name, v);
        });
        if (spec.preflight() != null) {
            p.putAll(spec.preflight().hyperparameters());
        }
        return p;
    }

    private void preflightStep(StudyState s, TrialState t, StepEvent e, Effects fx) {
        PreflightState.Step step = s.preflight == null ? null : s.preflight.stepOf(t.trialId);
        if (step == null || !step.isRunning() || !s.isRunning()) {
            softDirty.add(s.id);
            return;
        }
        if (step instanceof InitialLossStep check) {
            if (check.onStep(e.step(), e.loss())) {
                check.decide();
            }
        } else if (step instanceof OverfitStep overfit) {
            overfit.onStep(e.step(), e.accuracy());
        } else if (step instanceof RangeTestStep range) {
            RangeTestStep.Outcome out = range.onStep(e.step(), e.learningRate(), e.loss());
            if (out == RangeTestStep.Outcome.DIVERGED || out == RangeTestStep.Outcome.RAMP_DONE) {
                range.conclude(null);
            }
        }
        // Preflight progress is persisted at every step, so that a restarted tuner goes on where it was.
        fx.changed(s);
        if (step.isOver()) {
            preflightStepOver(s, t, step, fx);
        }
    }

    private void preflightTrialEnded(StudyState s, TrialState t, String status, Effects fx) {
        PreflightState.Step step = s.preflight == null ? null : s.preflight.stepOf(t.trialId);
        if (step == null || !step.isRunning() || !s.isRunning()) {
            return;
        }
        String how = t.finishStatus != null ? t.finishStatus : status;
        if (step instanceof InitialLossStep check) {
            check.trialEnded(how, t.finishReason);
        } else if (step instanceof OverfitStep overfit) {
            overfit.trialEnded(how, t.finishReason);
        } else if (step instanceof RangeTestStep range) {
            range.conclude("the trial ended " + how + (t.finishReason == null ? "" : " (" + t.finishReason + ")"));
        }
        preflightStepOver(s, t, step, fx);
    }

    /** Records a decided step; applies a chosen range; stops the study on a failure that must stop it. */
    private void preflightStepOver(StudyState s, TrialState t, PreflightState.Step step, Effects fx) {
        Instant now = clock.instant();
        studyDecision(s, fx, new Decision(now, step.trialId, PREFLIGHT, null, null, step.lastStep >= 0 ? step.lastStep : null,
                step.status, "step " + step.number() + " " + step.name() + " " + step.status + ": " + step.detail, null));
        fx.changed(s);
        if (step instanceof RangeTestStep range && PreflightState.PASSED.equals(step.status) && range.range != null) {
            ParamSpec before = s.space.get(TrainerParameters.LEARNING_RATE);
            ParamSpec chosen = ParamSpec.logUniform(range.range[0], range.range[1]);
            s.space.put(TrainerParameters.LEARNING_RATE, chosen);
            if (s.searchTrials().isEmpty() && !s.rounds.isEmpty()) {
                Round r0 = s.rounds.get(0);
                s.rounds.set(0, new Round(r0.index(), r0.trials(), r0.stepsPerTrial(), s.space, r0.how()
                        + "; learningRate from the range test"));
            }
            studyDecision(s, fx, new Decision(now, step.trialId, PREFLIGHT, null, null, null, Decision.ADJUST_SPACE,
                    "the range test chose the learning rate: " + TrainerParameters.LEARNING_RATE + " "
                    + (before == null ? "(fixed by the model)" : Ranges.describe(before)) + " -> "
                    + Ranges.describe(chosen), null));
        }
        if (t != null && t.isActive() && TrialState.RUNNING.equals(t.status) && !(step instanceof InitialLossStep)) {
            sendStop(s, t, fx, PREFLIGHT, null, "preflight: step " + step.number() + " " + step.name() + " "
                    + step.status, t.runId + "/preflight/stop");
        }
        if (PreflightState.FAILED.equals(step.status) && PreflightSpec.STOP.equals(onFailure(s.spec.preflight(), step))) {
            stopStudy(s, "preflight step " + step.number() + " " + step.name() + " failed"
                    + (step instanceof InitialLossStep c && c.cause != null ? " (" + c.cause + ")" : "") + ": "
                    + step.detail, fx);
            return;
        }
        fill(s, fx);
    }

    private static String onFailure(PreflightSpec spec, PreflightState.Step step) {
        if (spec == null) {
            return PreflightSpec.CONTINUE;
        }
        if (step instanceof InitialLossStep && spec.initialLoss() != null) {
            return spec.initialLoss().onFailure();
        }
        if (step instanceof OverfitStep && spec.overfitSubset() != null) {
            return spec.overfitSubset().onFailure();
        }
        // A range test that finds no range keeps the requested one: the search can still run.
        return PreflightSpec.CONTINUE;
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
        // A preflight step reads every step: the overfit check counts consecutive steps at accuracy 1.0 and the
        // range test wants a point per rate, so a base that publishes every N-th step would fail them.
        if (Trial.PREFLIGHT.equals(t.origin)) {
            base.remove("sampleEvery");
        }
        // The range test's ramp replaces any schedule of the base model.
        if (t.params.containsKey(TrainerParameters.SCHEDULE)) {
            base.remove("lrSchedule");
            base.remove(TrainerParameters.SCHEDULE);
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
