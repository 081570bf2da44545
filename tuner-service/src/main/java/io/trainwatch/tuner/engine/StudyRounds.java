package io.trainwatch.tuner.engine;

import io.trainwatch.events.Trial;
import io.trainwatch.tuner.preflight.PreflightState;
import io.trainwatch.tuner.search.Anchors;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.Sampler;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.RemedyPlan;
import io.trainwatch.tuner.study.Round;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study's life from its creation to its end, round by round (CS231n's tuning procedure: search coarse to
 * fine, training longer at each stage): the first round samples the requested ranges at random (Bergstra and
 * Bengio 2012), each next round narrows them around the best trials so far ({@link Anchors}: those that trained
 * long enough and were not stopped for a pathology), trials start while the round and
 * the concurrency allow (remedy trials first), and the study completes when its budget is spent, or stops on
 * request. The preflight, when the study has one, runs before the first search trial.
 */
final class StudyRounds {

    private final EngineSettings settings;
    private final double favourShare;
    private final Clock clock;
    private final StudyRegistry registry;
    private final DecisionLog log;
    private final CommandLedger commands;
    private PreflightRunner preflight;

    StudyRounds(EngineSettings settings, double favourShare, Clock clock, StudyRegistry registry, DecisionLog log,
                CommandLedger commands) {
        this.settings = settings;
        this.favourShare = favourShare;
        this.clock = clock;
        this.registry = registry;
        this.log = log;
        this.commands = commands;
    }

    /** The preflight that runs before the search (set once, as it calls back into the rounds). */
    void preflight(PreflightRunner preflight) {
        this.preflight = preflight;
    }

    /** Starts a study: its first round and as many trials as may run at once. */
    Effects create(String id, StudySpec spec) {
        if (registry.contains(id)) {
            throw new IllegalStateException("study '" + id + "' exists already");
        }
        registry.makeRoom();
        Instant now = clock.instant();
        StudyState s = new StudyState();
        s.id = id;
        s.spec = spec;
        s.createdAt = now;
        s.updatedAt = now;
        s.space = new LinkedHashMap<>(spec.space());
        int[] perRound = spec.budget().trialsPerRound();
        s.rounds.add(new Round(0, perRound[0], spec.budget().stepsForRound(0), s.space, "random search over the requested ranges"));
        int slots = settings.workerTrialSlots();
        if (spec.budget().concurrentTrials() > slots) {
            s.warnings.add("concurrentTrials " + spec.budget().concurrentTrials() + " is more than the " + slots
                    + " trials the trainer workers are known to run at once (trainwatch.tuner.worker-trial-slots): at "
                    + "most " + slots + " will train at once unless more trainers run or their "
                    + "trainwatch.trainer.trial-concurrency is raised (and this setting with it)");
        }
        registry.put(s);
        Effects fx = new Effects();
        preflight.announce(s, fx);
        log.study(s, fx, new Decision(now, null, "search", null, null, null, "start", "round 0: " + perRound[0]
                + " random trials of " + spec.budget().stepsForRound(0) + " steps over " + StudyText.describe(s.space)
                + (s.preflight == null ? "" : ", once the preflight is over"), null));
        fill(s, fx);
        fx.changed(s);
        return fx;
    }

    /** Stops a study: no new trials; running ones are told to stop, queued ones stopped, the preflight skipped. */
    void stop(StudyState s, String reason, Effects fx) {
        Instant now = clock.instant();
        s.status = StudyState.STOPPED;
        s.stopReason = reason;
        s.finishedAt = now;
        for (TrialState t : s.trials) {
            if (t.status == TrialStatus.RUNNING || t.status == TrialStatus.QUEUED) {
                commands.sendStop(s, t, fx, null, "the study was stopped: " + reason, t.runId + "/stop/study");
                if (t.status == TrialStatus.QUEUED) {
                    t.status = TrialStatus.STOPPED;
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
        log.study(s, fx, new Decision(now, null, "study", null, null, null, Decision.STOP, reason, null));
        fx.changed(s);
    }

    /** Starts trials while the round and the concurrency allow; moves to the next round; ends the study. */
    void fill(StudyState s, Effects fx) {
        if (s.isRunning() && !preflight.searchMayRun(s, fx)) {
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
            t.params = Sampler.sample(s.space, s.favoured, favourShare, Sampler.randomFor(s.spec.seed(), index));
        }
        t.learningRate = TrialMessage.startRate(s, t.params);
        s.trials.add(t);
        registry.index(s, t);
        fx.trial(TrialMessage.of(s, t));
        fx.changed(s);
    }

    private void nextRound(StudyState s, Effects fx) {
        Instant now = clock.instant();
        int index = s.rounds.size();
        // Anchors: the best trials that trained long enough and were not stopped for a pathology.
        Anchors.Choice anchors = Anchors.choose(s.trials, s.spec.objective(), settings.narrowTopFraction(),
                settings.narrowTopMin());
        Map<String, ParamSpec> before = new LinkedHashMap<>(s.space);
        if (!anchors.top().isEmpty()) {
            List<Map<String, Object>> points = anchors.top().stream().map(t -> t.params).toList();
            s.space = new LinkedHashMap<>(Ranges.narrow(s.space, points, settings.narrowMargin(), settings.narrowMinKeep()));
        }
        String how = anchors.describe();
        int trials = s.spec.budget().trialsPerRound()[index];
        long steps = s.spec.budget().stepsForRound(index);
        s.rounds.add(new Round(index, trials, steps, s.space, how));
        log.study(s, fx, new Decision(now, null, "search", null, null, null, Decision.NARROW, "round " + index + ": "
                + trials + " trials of " + steps + " steps; " + how + "; " + StudyText.changes(before, s.space), null));
        fx.changed(s);
    }

    private void complete(StudyState s, Effects fx) {
        Instant now = clock.instant();
        s.status = StudyState.COMPLETED;
        s.finishedAt = now;
        String best = s.bestTrial().map(t -> "best trial " + t.trialId + " with " + Ranges.fmt(t.best) + " at step "
                + t.bestStep).orElse("no trial reported a validation value");
        log.study(s, fx, new Decision(now, null, "study", null, null, null, "complete", "budget spent ("
                + s.searchTrials().size() + " trials, " + s.searchStepsTrained() + " of "
                + s.spec.budget().plannedSteps() + " planned steps" + (s.preflight == null ? ""
                : ", and " + (s.stepsTrained() - s.searchStepsTrained()) + " steps of preflight") + "): " + best, null));
        fx.changed(s);
    }
}
