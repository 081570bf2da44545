package io.trainwatch.tuner.preflight;

import java.util.Locale;

/**
 * Step 2 of CS231n's tuning procedure (overfit a tiny subset): trained on its first {@code batches}
 * mini-batches only (cycling, regularisation off), a sound model fits them all: the batch accuracy reaches 1.0 on {@code batches} consecutive steps, i.e. on every
 * batch of the subset. A missing step breaks the streak (that batch was not seen to be fit); repeated and older
 * steps are ignored. Fails at the step cap or when the trial ends first, naming what was tried.
 */
public final class OverfitStep extends PreflightState.Step {

    /** Accuracy counted as 100 % (float rounding of the trainer's batch accuracy). */
    static final double FULL = 1.0 - 1e-9;

    public int batches = PreflightSpec.DEFAULT_BATCHES;
    /** Steps trained on the subset, as far as the events told (the last step + 1). */
    public long steps;
    public Double bestAccuracy;
    public Long stepsTo100;
    /** Consecutive steps at accuracy 1.0 up to {@link #lastStep}. */
    public int streak;

    @Override
    public int number() {
        return 2;
    }

    @Override
    public String name() {
        return PreflightState.OVERFIT_SUBSET;
    }

    /** Takes a step's batch accuracy; true when the step is decided now (passed, or failed at the cap). */
    public boolean onStep(long step, Double accuracy) {
        if (!isRunning() || step <= lastStep || step < 0) {
            return false;
        }
        streak = step == lastStep + 1 ? streak : 0;
        lastStep = step;
        steps = step + 1;
        boolean finite = accuracy != null && Double.isFinite(accuracy);
        if (finite && (bestAccuracy == null || accuracy > bestAccuracy)) {
            bestAccuracy = accuracy;
        }
        streak = finite && accuracy >= FULL ? streak + 1 : 0;
        if (streak >= batches) {
            stepsTo100 = steps;
            end(PreflightState.PASSED, String.format(Locale.ROOT, "100 %% on each of the %d subset batches (%d "
                    + "consecutive steps at accuracy 1.0) after %d steps, regularisation off", batches, batches, steps));
            return true;
        }
        if (steps >= maxSteps) {
            fail("the step cap");
            return true;
        }
        return false;
    }

    /** The trial ended before the step was decided. */
    public void trialEnded(String how, String reason) {
        if (!isRunning()) {
            return;
        }
        if (how != null && !"completed".equals(how) && !"stopped".equals(how) && steps == 0) {
            end(PreflightState.FAILED, "the trial ended " + how + (reason == null ? "" : ": " + reason)
                    + " before its first step; tried " + batches + " batches");
            return;
        }
        fail("the end of the trial (" + (how == null ? "lost" : how) + (reason == null ? "" : ": " + reason) + ")");
    }

    private void fail(String at) {
        String best = bestAccuracy == null ? "no batch accuracy was reported"
                : String.format(Locale.ROOT, "best batch accuracy %.4f", bestAccuracy);
        end(PreflightState.FAILED, String.format(Locale.ROOT, "could not fit %d mini-batches: %s after %d of %d "
                + "steps (regularisation off), stopped at %s: the model has a bug or too little capacity",
                batches, best, steps, maxSteps, at));
    }
}
