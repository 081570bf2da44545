package io.trainwatch.tuner.engine;

import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.preflight.InitialLossStep;
import io.trainwatch.tuner.preflight.OverfitStep;
import io.trainwatch.tuner.preflight.PreflightSpec;
import io.trainwatch.tuner.preflight.PreflightState;
import io.trainwatch.tuner.preflight.RangeTestStep;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.Sampler;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.Round;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks a study runs before its search, one trial each, in order (CS231n's tuning procedure: check the
 * initial loss, overfit a tiny subset, find the learning-rate range): starts each step's trial, feeds it the
 * trial's steps, records the verdict, applies the range the range test chose, and stops the study when a failed
 * step must stop it. The search waits until the preflight is over.
 */
final class PreflightRunner {

    /** The policy name of preflight decisions. */
    static final String PREFLIGHT = "preflight";

    private final Clock clock;
    private final StudyRegistry registry;
    private final DecisionLog log;
    private final CommandLedger commands;
    private final StudyRounds rounds;

    PreflightRunner(Clock clock, StudyRegistry registry, DecisionLog log, CommandLedger commands, StudyRounds rounds) {
        this.clock = clock;
        this.registry = registry;
        this.log = log;
        this.commands = commands;
        this.rounds = rounds;
    }

    /** At a study's creation: sets up its preflight, if it asks for one, and records the plan. */
    void announce(StudyState s, Effects fx) {
        if (s.spec.preflight() == null || !s.spec.preflight().any()) {
            return;
        }
        s.preflight = PreflightState.of(s.spec.preflight());
        List<String> steps = new ArrayList<>();
        s.preflight.steps().stream().filter(x -> !x.isOver()).forEach(x -> steps.add(x.number() + " " + x.name()));
        log.study(s, fx, new Decision(clock.instant(), null, PREFLIGHT, null, null, null, "start", "preflight before the "
                + "search (CS231n's tuning procedure): " + String.join(", ", steps), null));
    }

    /** Starts the preflight's next step when none runs; true when the preflight is over and the search may run. */
    boolean searchMayRun(StudyState s, Effects fx) {
        if (s.preflight == null) {
            return true;
        }
        PreflightState.Step step = s.preflight.current();
        if (step == null) {
            return true;
        }
        if (PreflightState.PENDING.equals(step.status)) {
            startTrial(s, step, fx);
        }
        return false;
    }

    private void startTrial(StudyState s, PreflightState.Step step, Effects fx) {
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
        t.learningRate = TrialMessage.startRate(s, params);
        step.status = PreflightState.RUNNING;
        step.trialId = t.trialId;
        s.trials.add(t);
        registry.index(s, t);
        log.study(s, fx, new Decision(now, t.trialId, PREFLIGHT, null, null, null, "start", "step "
                + step.number() + " " + step.name() + ": " + what, null));
        fx.trial(TrialMessage.of(s, t));
        fx.changed(s);
    }

    /**
     * The point the preflight trials train: the centre of each requested range (geometric for log-uniform, the
     * middle whole number for integers; for choices, the model's value when it is one of them, else the first),
     * overridden by the request's {@code preflight.hyperparameters}.
     */
    static Map<String, Object> referencePoint(StudySpec spec) {
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

    /** A preflight trial's run-started: the initial-loss check learns the loss function and the class count. */
    void onRunStarted(StudyState s, TrialState t, RunStarted started) {
        if (s.preflight != null && s.preflight.stepOf(t.trialId) instanceof InitialLossStep check && check.isRunning()) {
            check.onRunStarted(started.config().lossFunction(), started.config().numClasses());
        }
    }

    /** A step of a preflight trial: its step judges it, and records the verdict once there is one. */
    void onStep(StudyState s, TrialState t, StepEvent e, Effects fx) {
        PreflightState.Step step = s.preflight == null ? null : s.preflight.stepOf(t.trialId);
        if (step == null || !step.isRunning() || !s.isRunning()) {
            registry.softDirty(s);
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
            stepOver(s, t, step, fx);
        }
    }

    /** A preflight trial ended: its step decides with what it saw. */
    void trialEnded(StudyState s, TrialState t, TrialStatus status, Effects fx) {
        PreflightState.Step step = s.preflight == null ? null : s.preflight.stepOf(t.trialId);
        if (step == null || !step.isRunning() || !s.isRunning()) {
            return;
        }
        String how = t.finishStatus != null ? t.finishStatus : status.id();
        if (step instanceof InitialLossStep check) {
            check.trialEnded(how, t.finishReason);
        } else if (step instanceof OverfitStep overfit) {
            overfit.trialEnded(how, t.finishReason);
        } else if (step instanceof RangeTestStep range) {
            range.conclude("the trial ended " + how + (t.finishReason == null ? "" : " (" + t.finishReason + ")"));
        }
        stepOver(s, t, step, fx);
    }

    /** Records a decided step; applies a chosen range; stops the study on a failure that must stop it. */
    private void stepOver(StudyState s, TrialState t, PreflightState.Step step, Effects fx) {
        Instant now = clock.instant();
        log.study(s, fx, new Decision(now, step.trialId, PREFLIGHT, null, null, step.lastStep >= 0 ? step.lastStep : null,
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
            log.study(s, fx, new Decision(now, step.trialId, PREFLIGHT, null, null, null, Decision.ADJUST_SPACE,
                    "the range test chose the learning rate: " + TrainerParameters.LEARNING_RATE + " "
                    + (before == null ? "(fixed by the model)" : Ranges.describe(before)) + " -> "
                    + Ranges.describe(chosen), null));
        }
        if (t != null && t.isActive() && t.status == TrialStatus.RUNNING && !(step instanceof InitialLossStep)) {
            commands.sendStop(s, t, fx, null, "preflight: step " + step.number() + " " + step.name() + " "
                    + step.status, t.runId + "/preflight/stop");
        }
        if (PreflightState.FAILED.equals(step.status) && PreflightSpec.STOP.equals(onFailure(s.spec.preflight(), step))) {
            rounds.stop(s, "preflight step " + step.number() + " " + step.name() + " failed"
                    + (step instanceof InitialLossStep c && c.cause != null ? " (" + c.cause + ")" : "") + ": "
                    + step.detail, fx);
            return;
        }
        rounds.fill(s, fx);
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
}
