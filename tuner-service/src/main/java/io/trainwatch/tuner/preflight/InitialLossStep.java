package io.trainwatch.tuner.preflight;

import io.trainwatch.events.LossFunctions;

import java.util.Locale;

/**
 * Step 1 of CS231n's tuning procedure (check the initial loss): with regularisation off, the first loss of softmax cross-entropy over C classes must be
 * about ln(C). Passes when ln(C) / tolerance <= first loss <= tolerance x ln(C); otherwise names the likely
 * cause: the initialisation scale (far above), labels or loss (far below), or an overflow (not finite).
 */
public final class InitialLossStep extends PreflightState.Step {

    public static final String CAUSE_INIT_SCALE = "init-scale";
    public static final String CAUSE_LABELS_OR_LOSS = "labels-or-loss";
    public static final String CAUSE_NON_FINITE = "non-finite";
    public static final String CAUSE_NO_DATA = "no-data";
    public static final String CAUSE_TRIAL_FAILED = "trial-failed";

    public Double firstLoss;
    /** The step of {@link #firstLoss} (0 unless the first events were lost). */
    public Long firstStep;
    public boolean firstLossFinite = true;
    public Double expected;
    public double tolerance = PreflightSpec.DEFAULT_TOLERANCE;
    public String cause;
    public String lossFunction;
    public Integer numClasses;
    public boolean runStarted;

    @Override
    public int number() {
        return 1;
    }

    @Override
    public String name() {
        return PreflightState.INITIAL_LOSS;
    }

    /** The run's loss function and number of classes, from {@code run-started}. */
    public void onRunStarted(String loss, Integer classes) {
        runStarted = true;
        lossFunction = LossFunctions.normalize(loss);
        numClasses = classes;
        double lnC = LossFunctions.chanceLoss(loss, classes);
        expected = Double.isFinite(lnC) ? lnC : null;
    }

    /**
     * Takes a step's loss; true when the check can be decided now (the run's first step, step 0, arrived
     * after {@code run-started}). Repeated and older steps are ignored.
     */
    public boolean onStep(long step, double loss) {
        if (!isRunning() || step < 0 || firstStep != null && step >= firstStep) {
            return false;
        }
        firstStep = step;
        firstLossFinite = Double.isFinite(loss);
        firstLoss = firstLossFinite ? loss : null;
        lastStep = Math.max(lastStep, step);
        return step == 0 && runStarted;
    }

    /** Decides from what arrived (call when the first step arrived, or when the trial ended). */
    public void decide() {
        if (!isRunning()) {
            return;
        }
        if (firstStep == null) {
            cause = CAUSE_NO_DATA;
            end(PreflightState.FAILED, "no step event of the check's trial arrived: the first loss is unknown");
            return;
        }
        String where = firstStep == 0 ? "" : " (step " + firstStep + ": the earlier steps' events were lost)";
        if (!firstLossFinite) {
            cause = CAUSE_NON_FINITE;
            end(PreflightState.FAILED, "the first loss is not finite" + where + ": the initial weights or the "
                    + "input scale overflow the network");
            return;
        }
        if (expected == null) {
            end(PreflightState.SKIPPED, "first loss " + fmt(firstLoss) + where + "; ln(C) applies to softmax "
                    + "cross-entropy, and the run's loss is " + (lossFunction == null ? "unknown" : lossFunction)
                    + (numClasses == null ? " with an unknown number of classes" : " over " + numClasses + " classes")
                    + (runStarted ? "" : " (no run-started arrived)"));
            return;
        }
        double ratio = firstLoss / expected;
        String numbers = "first loss " + fmt(firstLoss) + where + " vs ln(" + numClasses + ") = " + fmt(expected)
                + String.format(Locale.ROOT, " (x%.2f; tolerance x%s)", ratio, PreflightState.factor(tolerance));
        if (firstLoss > tolerance * expected) {
            cause = CAUSE_INIT_SCALE;
            end(PreflightState.FAILED, numbers + ": far above chance, the initial weights are too large (the softmax"
                    + " starts confident and wrong); use Xavier/Glorot (sigmoid, tanh) or He (ReLU) initialisation, or"
                    + " a smaller initStd");
        } else if (firstLoss < expected / tolerance) {
            cause = CAUSE_LABELS_OR_LOSS;
            end(PreflightState.FAILED, numbers + ": far below chance before any training: the labels leak into the"
                    + " inputs or are (nearly) all one class, or the loss is not softmax cross-entropy over the"
                    + " data's classes");
        } else {
            cause = null;
            end(PreflightState.PASSED, numbers);
        }
    }

    /** The trial ended before the check was decided. */
    public void trialEnded(String how, String reason) {
        if (!isRunning()) {
            return;
        }
        if (firstStep == null && how != null && !"completed".equals(how) && !"stopped".equals(how)) {
            cause = CAUSE_TRIAL_FAILED;
            end(PreflightState.FAILED, "the check's trial ended " + how + (reason == null ? "" : ": " + reason)
                    + " before its first step");
            return;
        }
        decide();
    }

    static String fmt(double v) {
        return io.trainwatch.tuner.search.Ranges.fmt(v);
    }
}
