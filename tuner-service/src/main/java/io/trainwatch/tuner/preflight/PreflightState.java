package io.trainwatch.tuner.preflight;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;

/**
 * The preflight of a study as it runs: one record per step with its status ({@code pending}, {@code running},
 * {@code passed}, {@code failed}, {@code skipped}), its trial and its numbers, including the counters a step
 * needs to go on after a tuner restart (the EMA of the range test, the overfit streak, the last step seen).
 * Part of the study document; mutated only by the study engine.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class PreflightState {

    public static final String PENDING = "pending";
    public static final String RUNNING = "running";
    public static final String PASSED = "passed";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";
    public static final List<String> STATUSES = List.of(PENDING, RUNNING, PASSED, FAILED, SKIPPED);

    /** Step names, as in the request and the state. */
    public static final String INITIAL_LOSS = "initialLoss";
    public static final String OVERFIT_SUBSET = "overfitSubset";
    public static final String LR_RANGE_TEST = "lrRangeTest";

    public InitialLossStep initialLoss;
    public OverfitStep overfitSubset;
    public RangeTestStep lrRangeTest;

    /** A state for a spec: the steps it runs are pending, the others skipped. */
    public static PreflightState of(PreflightSpec spec) {
        PreflightState p = new PreflightState();
        p.initialLoss = new InitialLossStep();
        p.overfitSubset = new OverfitStep();
        p.lrRangeTest = new RangeTestStep();
        if (spec.initialLoss() == null) {
            p.initialLoss.skip("switched off in the request");
        } else {
            p.initialLoss.tolerance = spec.initialLoss().tolerance();
            p.initialLoss.maxSteps = spec.initialLoss().steps();
        }
        if (spec.overfitSubset() == null) {
            p.overfitSubset.skip("switched off in the request");
        } else {
            p.overfitSubset.batches = spec.overfitSubset().batches();
            p.overfitSubset.maxSteps = spec.overfitSubset().maxSteps();
        }
        if (spec.lrRangeTest() == null) {
            p.lrRangeTest.skip("switched off in the request");
        } else {
            PreflightSpec.LrRangeTest r = spec.lrRangeTest();
            p.lrRangeTest.from = r.from();
            p.lrRangeTest.to = r.to();
            p.lrRangeTest.maxSteps = r.steps();
            p.lrRangeTest.smoothing = r.smoothing();
            p.lrRangeTest.divergeFactor = r.divergeFactor();
        }
        return p;
    }

    /** The steps in their order. */
    @JsonIgnore
    public List<Step> steps() {
        return List.of(initialLoss, overfitSubset, lrRangeTest);
    }

    /** The first step that is not over, or null when the preflight is over. */
    @JsonIgnore
    public Step current() {
        for (Step s : steps()) {
            if (!s.isOver()) {
                return s;
            }
        }
        return null;
    }

    /** The step that trial {@code trialId} runs, or null. */
    public Step stepOf(String trialId) {
        for (Step s : steps()) {
            if (trialId != null && trialId.equals(s.trialId)) {
                return s;
            }
        }
        return null;
    }

    /** A factor for people: {@code 4} rather than {@code 4.000}. */
    public static String factor(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? Long.toString((long) v) : io.trainwatch.tuner.search.Ranges.fmt(v);
    }

    /** What all steps share: status, trial, a sentence. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
            isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
    public abstract static class Step {
        public String status = PENDING;
        public String trialId;
        public long maxSteps;
        /** The last step number seen; older or repeated steps are ignored (replays, duplicates). */
        public long lastStep = -1;
        public String detail;

        /** 1, 2 or 3. */
        public abstract int number();

        /** The step's name in the request and the state. */
        public abstract String name();

        @JsonIgnore
        public boolean isOver() {
            return PASSED.equals(status) || FAILED.equals(status) || SKIPPED.equals(status);
        }

        @JsonIgnore
        public boolean isRunning() {
            return RUNNING.equals(status);
        }

        void skip(String why) {
            status = SKIPPED;
            detail = why;
        }

        /** The step is over with this status and sentence. */
        public void end(String newStatus, String why) {
            status = newStatus;
            detail = why;
        }
    }
}
