package io.trainwatch.tuner.preflight;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which checks of CS231n's tuning procedure (check the initial loss, overfit a tiny subset, find the
 * learning-rate range) a study runs before its search, and how: (1) the initial
 * loss against ln(C), (2) overfitting a tiny subset, (3) a learning-rate range test whose range replaces the
 * search's learning-rate range. A step that is off is {@code null}. {@code hyperparameters} is the point the
 * preflight trials train (over the study's model); absent values come from the centre of the search space.
 * Defaults and their sources are the constants below (and the tuner README, section "Preflight").
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PreflightSpec(InitialLoss initialLoss, OverfitSubset overfitSubset, LrRangeTest lrRangeTest,
                            Map<String, Object> hyperparameters) {

    /** What happens when a step fails: the study stops (CS231n: do not search with a broken model) or goes on. */
    public static final String STOP = "stop";
    public static final String CONTINUE = "continue";

    /** Initial-loss check: a few steps, 5 (SageMaker PoorWeightInitialization judges the first 5-10 steps). */
    public static final int DEFAULT_INITIAL_LOSS_STEPS = 5;
    /**
     * The first loss passes within this factor of ln(C) either way: 3, the monitor's
     * {@code monitor.bad-initialization.initial-loss-factor}, so that a check that passes never meets the
     * monitor's "first loss far above ln(C)" alert.
     */
    public static final double DEFAULT_TOLERANCE = 3.0;
    /** Overfit 5 mini-batches (CS231n: "overfit a tiny subset of data", here 5-10 mini-batches; the low end keeps the check short). */
    public static final int DEFAULT_BATCHES = 5;
    /** ... for at most 500 steps (ours: 100 passes over 5 batches; Karpathy's recipe overfits in a few hundred). */
    public static final long DEFAULT_OVERFIT_MAX_STEPS = 500;
    /** Range test from 1e-6 to 10 (Smith 2017 sweeps several decades; fastai lr_find: 1e-7 to 10). */
    public static final double DEFAULT_FROM = 1e-6;
    public static final double DEFAULT_TO = 10;
    /** ... over 200 steps (ours; fastai lr_find: 100 iterations): 0.035 decade per step from 1e-6 to 10. */
    public static final long DEFAULT_RANGE_STEPS = 200;
    /**
     * EMA factor of the smoothed loss, bias-corrected (fastai lr_find: 0.98 over 100 iterations, a lag of ~49
     * steps = 3.4 decades of rate; ours 0.9: a lag of ~9 steps = 0.3 decade at the default ramp).
     */
    public static final double DEFAULT_SMOOTHING = 0.9;
    /** The test ends when the smoothed loss exceeds 4x its minimum (fastai lr_find {@code stop_div}). */
    public static final double DEFAULT_DIVERGE_FACTOR = 4;

    public PreflightSpec {
        hyperparameters = hyperparameters == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
    }

    /** Every step on, with the defaults. */
    public static PreflightSpec defaults() {
        return new PreflightSpec(InitialLoss.defaults(), OverfitSubset.defaults(), LrRangeTest.defaults(), Map.of());
    }

    /** Whether any step runs. */
    public boolean any() {
        return initialLoss != null || overfitSubset != null || lrRangeTest != null;
    }

    /**
     * Step 1: {@code steps} steps with regularisation off; passes when ln(C)/tolerance <= first loss <=
     * tolerance x ln(C).
     */
    public record InitialLoss(int steps, double tolerance, String onFailure) {
        public static InitialLoss defaults() {
            return new InitialLoss(DEFAULT_INITIAL_LOSS_STEPS, DEFAULT_TOLERANCE, STOP);
        }
    }

    /**
     * Step 2: train on the first {@code batches} mini-batches (cycling) with regularisation off until the
     * accuracy is 1.0 on {@code batches} consecutive steps (every batch of the subset fit), or {@code maxSteps}.
     */
    public record OverfitSubset(int batches, long maxSteps, String onFailure) {
        public static OverfitSubset defaults() {
            return new OverfitSubset(DEFAULT_BATCHES, DEFAULT_OVERFIT_MAX_STEPS, STOP);
        }
    }

    /**
     * Step 3: the learning rate ramps geometrically from {@code from} to {@code to} over {@code steps} steps
     * on the full training set; the smoothed loss (EMA {@code smoothing}, bias-corrected) against the rate
     * picks the search's range; the trial is stopped once the smoothed loss exceeds {@code divergeFactor}
     * times its minimum or is not finite.
     */
    public record LrRangeTest(double from, double to, long steps, double smoothing, double divergeFactor) {
        public static LrRangeTest defaults() {
            return new LrRangeTest(DEFAULT_FROM, DEFAULT_TO, DEFAULT_RANGE_STEPS, DEFAULT_SMOOTHING, DEFAULT_DIVERGE_FACTOR);
        }
    }
}
