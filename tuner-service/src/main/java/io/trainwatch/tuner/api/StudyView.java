package io.trainwatch.tuner.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trainwatch.tuner.preflight.InitialLossStep;
import io.trainwatch.tuner.preflight.OverfitStep;
import io.trainwatch.tuner.preflight.PreflightState;
import io.trainwatch.tuner.preflight.RangeTestStep;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.Round;
import io.trainwatch.tuner.study.StudyBudget;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study as {@code GET /studies/{id}} (and the answer of {@code POST /studies}) shows it: status, budget and
 * spending (steps planned vs spent), the ranges of each round and the current ones, the leaderboard (best first)
 * with each trial's hyperparameters, status, best value, stop reason and decisions, and the warnings it got when
 * it was created. A copy: safe to serialise outside the tuner's lock.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StudyView(
        String id,
        String name,
        String status,
        String stopReason,
        String objective,
        long seed,
        StudyBudget budget,
        Instant createdAt,
        Instant finishedAt,
        int trialsStarted,
        int trialsFinished,
        long stepsTrained,
        Steps steps,
        Best best,
        List<RoundView> rounds,
        Map<String, String> currentRanges,
        Map<String, ParamSpec> currentSpace,
        Map<String, List<Object>> favoured,
        List<TrialView> leaderboard,
        List<Decision> decisions,
        Preflight preflight,
        List<String> warnings) {

    /** The checks before the search (CS231n's procedure: initial loss, overfit a tiny subset, learning-rate range), each with its status and numbers; null when none. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Preflight(InitialLoss initialLoss, OverfitSubset overfitSubset, LrRangeTest lrRangeTest) {
    }

    /** Step 1: the first loss against ln(C). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InitialLoss(int step, String status, String trialId, Double firstLoss, Long firstStep,
                              Double expected, double tolerance, String lossFunction, Integer numClasses, String cause,
                              String detail) {
    }

    /** Step 2: overfitting the first {@code batches} mini-batches. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OverfitSubset(int step, String status, String trialId, int batches, long maxSteps, long steps,
                                Double bestAccuracy, Long stepsTo100, String detail) {
    }

    /** Step 3: the learning-rate range test; {@code points} are [rate, smoothed loss]. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LrRangeTest(int step, String status, String trialId, double from, double to, long steps,
                              List<double[]> points, double[] range, Double steepestRate, Double minLossRate,
                              Double minLoss, String detail) {
    }

    /**
     * The search's budget in steps: {@code planned} (each round's trials x the steps a trial of that round may
     * train), {@code spent} (the steps the search trials trained, exactly) and {@code preflight} (the preflight
     * trials' steps, outside the budget; {@code stepsTrained} = spent + preflight).
     */
    public record Steps(long planned, long spent, long preflight) {
    }

    /** The best trial so far. */
    public record Best(String trialId, double value, Long step, Integer epoch) {
    }

    /** One round: its trials, their length, and the ranges it started from. */
    public record RoundView(int index, int trials, long stepsPerTrial, String how, Map<String, String> ranges,
                            Map<String, ParamSpec> space) {
    }

    /** One row of the leaderboard. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TrialView(int rank, String trialId, String runId, int round, String origin, String remedyOf,
                            String status, Map<String, Object> hyperparameters, Double learningRate, Double best,
                            Long bestStep, Integer bestEpoch, long steps, long maxSteps, String stopReason,
                            Instant startedAt, Instant finishedAt, List<Decision> decisions) {
    }

    /** A summary for {@code GET /studies}. */
    public record Summary(String id, String name, String status, String objective, int trials, int trialsStarted,
                          int trialsFinished, Best best, Instant createdAt) {
    }

    public static StudyView of(StudyState s) {
        List<TrialState> ordered = new ArrayList<>(s.trials);
        ordered.sort((a, b) -> {
            int c = s.spec.objective().compareBestFirst(a.best, b.best);
            return c != 0 ? c : Integer.compare(a.index, b.index);
        });
        List<TrialView> board = new ArrayList<>();
        ordered.sort((a, b) -> Boolean.compare(a.isPreflight(), b.isPreflight()));
        for (int i = 0; i < ordered.size(); i++) {
            TrialState t = ordered.get(i);
            board.add(new TrialView(i + 1, t.trialId, t.runId, t.round, t.origin, t.remedyOf, t.status.id(),
                    new LinkedHashMap<>(t.params), t.learningRate, t.best, t.bestStep, t.bestEpoch,
                    t.stepsTrained(), t.maxSteps, t.stopReason, t.startedAt, t.finishedAt,
                    List.copyOf(t.decisions)));
        }
        List<RoundView> rounds = new ArrayList<>();
        for (Round r : s.rounds) {
            rounds.add(new RoundView(r.index(), r.trials(), r.stepsPerTrial(), r.how(), describe(r.initialSpace()),
                    r.initialSpace()));
        }
        Map<String, List<Object>> favoured = new LinkedHashMap<>();
        s.favoured.forEach((k, v) -> favoured.put(k, List.copyOf(v)));
        List<TrialState> search = s.searchTrials();
        return new StudyView(s.id, s.spec.name(), s.status, s.stopReason, s.spec.objective().id(), s.spec.seed(),
                s.spec.budget(), s.createdAt, s.finishedAt, search.size(),
                (int) search.stream().filter(t -> !t.isActive()).count(), s.stepsTrained(),
                new Steps(s.spec.budget().plannedSteps(), s.searchStepsTrained(), s.stepsTrained() - s.searchStepsTrained()),
                best(s), rounds,
                describe(s.space), new LinkedHashMap<>(s.space), favoured, board, List.copyOf(s.decisions),
                preflight(s.preflight), s.warnings == null || s.warnings.isEmpty() ? null : List.copyOf(s.warnings));
    }

    private static Preflight preflight(PreflightState p) {
        if (p == null) {
            return null;
        }
        InitialLossStep i = p.initialLoss;
        OverfitStep o = p.overfitSubset;
        RangeTestStep r = p.lrRangeTest;
        List<double[]> points = new ArrayList<>(r.points.size());
        r.points.forEach(x -> points.add(x.clone()));
        return new Preflight(
                new InitialLoss(1, i.status, i.trialId, i.firstLoss, i.firstStep, i.expected, i.tolerance, i.lossFunction,
                        i.numClasses, i.cause, i.detail),
                new OverfitSubset(2, o.status, o.trialId, o.batches, o.maxSteps, o.steps, o.bestAccuracy, o.stepsTo100,
                        o.detail),
                new LrRangeTest(3, r.status, r.trialId, r.from, r.to, r.maxSteps, points,
                        r.range == null ? null : r.range.clone(), r.steepestRate, r.minLossRate, r.minLoss, r.detail));
    }

    public static Summary summary(StudyState s) {
        List<TrialState> search = s.searchTrials();
        return new Summary(s.id, s.spec.name(), s.status, s.spec.objective().id(), s.spec.budget().trials(),
                search.size(), (int) search.stream().filter(t -> !t.isActive()).count(), best(s), s.createdAt);
    }

    private static Best best(StudyState s) {
        return s.bestTrial().map(t -> new Best(t.trialId, t.best, t.bestStep, t.bestEpoch)).orElse(null);
    }

    private static Map<String, String> describe(Map<String, ParamSpec> space) {
        Map<String, String> out = new LinkedHashMap<>();
        space.forEach((k, v) -> out.put(k, Ranges.describe(v)));
        return out;
    }
}
