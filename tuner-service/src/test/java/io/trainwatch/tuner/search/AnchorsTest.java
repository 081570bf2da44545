package io.trainwatch.tuner.search;

import io.trainwatch.events.Trial;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Anchors}: a next round narrows around evidence, not around an early lucky validation or a pathology. */
class AnchorsTest {

    private static final Objective ACC = Objective.MAXIMIZE_VALIDATION_ACCURACY;

    private static TrialState trial(String id, Double best, long trainedSteps, long budget, TrialStatus status,
                                    String stopReason) {
        TrialState t = new TrialState();
        t.trialId = id;
        t.origin = Trial.RANDOM;
        t.best = best;
        t.lastStep = trainedSteps - 1;
        t.maxSteps = budget;
        t.status = status;
        t.stopReason = stopReason;
        return t;
    }

    private static TrialState completed(String id, double best) {
        return trial(id, best, 400, 400, TrialStatus.COMPLETED, null);
    }

    @Test
    void aTrialStoppedEarlyWithOneLuckyValidationDoesNotAnchor() {
        // stopped at step 26 with 0.600 against trials that trained their 400 steps to lower values
        List<TrialState> trials = List.of(trial("t000", 0.600, 27, 400, TrialStatus.STOPPED, "plateau"),
                completed("t001", 0.55), completed("t002", 0.58), completed("t003", 0.40));
        Anchors.Choice c = Anchors.choose(trials, ACC, 0.25, 2);
        assertThat(c.ids()).containsExactly("t002", "t001");
        assertThat(c.excluded()).containsExactly("t000 (trained 27 of 400 steps)");
        assertThat(c.describe()).isEqualTo("narrowed around the top 2 trials [t002, t001]; not anchoring: "
                + "t000 (trained 27 of 400 steps)");
    }

    @Test
    void halfTheBudgetIsEnoughAndLessIsNot() {
        List<TrialState> trials = List.of(trial("t000", 0.9, 200, 400, TrialStatus.STOPPED, "stopped"),
                trial("t001", 0.95, 199, 400, TrialStatus.STOPPED, "stopped"), completed("t002", 0.5));
        assertThat(Anchors.choose(trials, ACC, 0.25, 2).ids()).containsExactly("t000", "t002");
    }

    @Test
    void noTrialStoppedForAPathologyAnchorsHoweverGoodItsValue() {
        List<TrialState> trials = new ArrayList<>();
        int i = 0;
        for (String reason : List.of("divergence", "exploding-gradients", "vanishing-gradients", "bad-initialization",
                "underfitting")) {
            // trained to the end and scored well before it was stopped: still ruled out
            trials.add(trial("p" + i++, 0.99, 400, 400, TrialStatus.STOPPED, reason));
        }
        trials.add(trial("d", 0.97, 400, 400, TrialStatus.DIVERGED, "divergence"));
        trials.add(trial("e", 0.96, 400, 400, TrialStatus.DIVERGED, null));
        trials.add(completed("ok1", 0.7));
        trials.add(completed("ok2", 0.6));
        trials.add(completed("ok3", 0.5));
        Anchors.Choice c = Anchors.choose(trials, ACC, 0.25, 2);
        assertThat(c.ids()).containsExactly("ok1", "ok2");
        assertThat(c.excluded()).containsExactly("p0 (stopped for divergence)", "p1 (stopped for exploding-gradients)",
                "p2 (stopped for vanishing-gradients)", "p3 (stopped for bad-initialization)",
                "p4 (stopped for underfitting)", "d (stopped for divergence)", "e (stopped for diverged)");
    }

    @Test
    void anOverfittingStopKeepsItsBestAndMayAnchorEarlyAPlateauStopMayAnchorOnceTrainedEnough() {
        List<TrialState> trials = List.of(trial("t000", 0.92, 120, 400, TrialStatus.STOPPED, "overfitting"),
                trial("t001", 0.91, 300, 400, TrialStatus.STOPPED, "plateau"), completed("t002", 0.5));
        Anchors.Choice c = Anchors.choose(trials, ACC, 0.25, 2);
        assertThat(c.ids()).containsExactly("t000", "t001");
        assertThat(c.excluded()).isEmpty();
    }

    @Test
    void forALossTheLowestRanksFirst() {
        List<TrialState> trials = List.of(completed("t000", 0.9), completed("t001", 0.3), completed("t002", 0.5));
        assertThat(Anchors.choose(trials, Objective.MINIMIZE_VALIDATION_LOSS, 0.25, 2).ids())
                .containsExactly("t001", "t002");
    }

    @Test
    void theTopShareIsOfTheEligibleTrials() {
        List<TrialState> trials = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            trials.add(completed("t" + i, i / 100.0));
        }
        for (int i = 0; i < 8; i++) {
            trials.add(trial("x" + i, 0.99, 10, 400, TrialStatus.STOPPED, "bad-initialization"));
        }
        // ceil(0.25 x 12) = 3, not ceil(0.25 x 20) = 5
        assertThat(Anchors.choose(trials, ACC, 0.25, 2).ids()).containsExactly("t11", "t10", "t9");
    }

    @Test
    void withNothingEligibleTheRangesAreKeptAndTheReasonSaysWhy() {
        List<TrialState> none = List.of(trial("t000", 0.6, 27, 400, TrialStatus.STOPPED, "stopped"),
                trial("t001", 0.7, 400, 400, TrialStatus.STOPPED, "vanishing-gradients"));
        Anchors.Choice c = Anchors.choose(none, ACC, 0.25, 2);
        assertThat(c.top()).isEmpty();
        assertThat(c.describe()).isEqualTo("no trial trained long enough without a pathology stop to anchor the ranges: "
                + "ranges kept; not anchoring: t000 (trained 27 of 400 steps), t001 (stopped for vanishing-gradients)");
        TrialState noValue = trial("t002", null, 400, 400, TrialStatus.COMPLETED, null);
        TrialState preflight = completed("p", 0.99);
        preflight.origin = Trial.PREFLIGHT;
        assertThat(Anchors.choose(List.of(noValue, preflight), ACC, 0.25, 2).describe())
                .isEqualTo("no trial has a validation value yet: ranges kept");
    }
}
