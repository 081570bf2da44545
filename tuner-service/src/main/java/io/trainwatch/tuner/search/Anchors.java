package io.trainwatch.tuner.search;

import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which trials a next round narrows around ({@link Ranges#narrow}): the best by the study's objective among the
 * trials whose best value is evidence, not noise. Two rules keep a trial from anchoring:
 * <ul>
 *   <li>it was stopped for a pathology ({@link #PATHOLOGY_STOPS}: divergence, exploding or vanishing gradients, bad
 *   initialisation, underfitting; or the trainer ended it as diverged): its point is known to fail, whatever an
 *   early validation said;</li>
 *   <li>it trained less than {@link #MIN_BUDGET_SHARE} of its step budget: an accuracy after a few dozen steps is
 *   not comparable with one after hundreds (successive halving and Hyperband compare configurations only at equal
 *   budgets: Jamieson and Talwalkar 2016, Li et al. 2017). A trial stopped for overfitting is exempt: early stopping
 *   keeps its best point, past which more steps only made it worse (Prechelt 1998).</li>
 * </ul>
 * Trials without a validation value and preflight trials never anchor (as before these rules).
 */
public final class Anchors {

    /** The least share of its step budget a trial must have trained to anchor (ours: half). */
    public static final double MIN_BUDGET_SHARE = 0.5;

    /** The stop reasons (a detector's id, or the {@code diverged} status) that rule a trial out as an anchor. */
    public static final Set<String> PATHOLOGY_STOPS = Set.of(DetectorName.DIVERGENCE.id(),
            DetectorName.EXPLODING_GRADIENTS.id(), DetectorName.VANISHING_GRADIENTS.id(),
            DetectorName.BAD_INITIALIZATION.id(), DetectorName.UNDERFITTING.id(), TrialStatus.DIVERGED.id());

    private Anchors() {
    }

    /**
     * The anchors of the next round and the trials with a value that were left out.
     *
     * @param top      best first: the top {@code max(topMin, ceil(topFraction x eligible))} of the eligible trials
     * @param excluded each left-out trial with its reason, e.g. {@code t005 (trained 26 of 400 steps)}
     */
    public record Choice(List<TrialState> top, List<String> excluded) {

        public Choice {
            top = List.copyOf(top);
            excluded = List.copyOf(excluded);
        }

        /** The ids of the anchors, e.g. {@code [t001, t004]}. */
        public List<String> ids() {
            return top.stream().map(t -> t.trialId).toList();
        }

        /** How the round's ranges come about, for the study's decision. */
        public String describe() {
            String how = !top.isEmpty() ? "narrowed around the top " + top.size() + " trials " + ids()
                    : excluded.isEmpty() ? "no trial has a validation value yet: ranges kept"
                    : "no trial trained long enough without a pathology stop to anchor the ranges: ranges kept";
            return excluded.isEmpty() ? how : how + "; not anchoring: " + String.join(", ", excluded);
        }
    }

    /** Chooses the anchors among {@code trials} (any order; the study's trials). */
    public static Choice choose(List<TrialState> trials, Objective objective, double topFraction, int topMin) {
        List<TrialState> eligible = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        for (TrialState t : trials) {
            if (t.best == null || t.isPreflight()) {
                continue;
            }
            String why = whyNot(t);
            if (why == null) {
                eligible.add(t);
            } else {
                excluded.add(t.trialId + " (" + why + ")");
            }
        }
        List<TrialState> ranked = eligible.stream().sorted((a, b) -> objective.compareBestFirst(a.best, b.best)).toList();
        int k = Math.min(ranked.size(), Math.max(topMin, (int) Math.ceil(topFraction * ranked.size())));
        return new Choice(ranked.subList(0, k), excluded);
    }

    /** Why a trial with a value may not anchor, or null when it may. */
    static String whyNot(TrialState t) {
        if (t.status == TrialStatus.DIVERGED || t.stopReason != null && PATHOLOGY_STOPS.contains(t.stopReason)) {
            return "stopped for " + (t.stopReason == null ? TrialStatus.DIVERGED.id() : t.stopReason);
        }
        long trained = Math.max(0, t.lastStep + 1);
        if (t.maxSteps > 0 && trained < MIN_BUDGET_SHARE * t.maxSteps
                && !DetectorName.OVERFITTING.id().equals(t.stopReason)) {
            return "trained " + trained + " of " + t.maxSteps + " steps";
        }
        return null;
    }
}
