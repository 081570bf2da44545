package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code bad-initialization}, three signatures (CS231n, SageMaker PoorWeightInitialization):
 * the first loss far above ln(C) for softmax cross-entropy over C classes (until the smoothed loss falls
 * under ln(C)); the smoothed loss pinned at ln(C) with dead hidden-layer gradients (symmetric zero or
 * constant init), or pinned for long even with live ones; and "flat for long, then a sudden drop".
 */
public final class BadInitializationDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.BAD_INITIALIZATION);

    /** The pinned streak must begin within this many steps of the run's start (ours: the 10 start steps + slack). */
    static final int PINNED_FROM_START = 20;

    private final MonitorConfig.BadInitialization config;

    public BadInitializationDetector(MonitorConfig.BadInitialization config) {
        this.config = config;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.BAD_INITIALIZATION;
    }

    @Override
    public String remedy() {
        return "Re-initialise: Xavier/Glorot for sigmoid/tanh, He for ReLU, never all zeros or one constant "
                + "(it keeps units symmetric); the initial loss of softmax cross-entropy should be about ln(C).";
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        if (Double.isNaN(s.ema)) {
            return Condition.UNCHANGED;
        }
        double lnC = s.chanceLoss;
        boolean knowsChance = Double.isFinite(lnC) && lnC > 0;
        boolean farStart = knowsChance && s.firstLoss > config.initialLossFactor() * lnC && s.ema > lnC;
        if (knowsChance && Math.abs(s.ema - lnC) <= config.pinnedTolerance() * lnC) {
            s.pinnedRun++;
        } else {
            s.pinnedRun = 0;
        }
        double hidden = Stats.maxHidden(e.layerGradientNorms());
        s.deadGradientRun = !Double.isNaN(hidden) && hidden <= config.deadGradientNorm() ? s.deadGradientRun + 1 : 0;
        // Pinned since the start: a net that reaches chance later (dead after an explosion) was not badly initialised.
        boolean sinceStart = s.steps - s.pinnedRun <= PINNED_FROM_START;
        boolean pinned = sinceStart && ((s.pinnedRun >= config.pinnedSteps() && s.deadGradientRun >= config.pinnedSteps())
                || s.pinnedRun >= config.pinnedStepsWithoutDeadGradients());
        if (s.flatPhase && !Double.isNaN(s.startLoss) && s.steps > config.pinnedSteps() / 10) {
            if (Math.abs(s.ema - s.startLoss) > config.flatTolerance() * Math.abs(s.startLoss)) {
                s.flatPhase = false;
                s.flatEndStep = e.step();
            }
        }
        if (!s.flatPhase && !s.flatThenDrop && s.flatEndStep >= config.flatSteps()
                && e.step() - s.flatEndStep <= config.flatSteps()
                && s.ema <= s.startLoss * (1 - config.dropFraction())) {
            s.flatThenDrop = true;
        }
        boolean holds = farStart || pinned || s.flatThenDrop;
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("firstLoss", s.firstLoss).and("smoothedLoss", s.ema);
        if (knowsChance) {
            evidence.and("chanceLoss", lnC);
        }
        if (farStart) {
            evidence.and("firstLossOverChance", s.firstLoss / lnC);
            return Condition.holds(Alert.WARNING, String.format("Bad initialisation: the first loss %.4g is %.1fx "
                    + "ln(C) = %.4g.", s.firstLoss, s.firstLoss / lnC, lnC), evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        if (pinned) {
            evidence.and("stepsAtChance", s.pinnedRun).and("maxHiddenGradientNorm", hidden)
                    .and("stepsWithDeadGradients", s.deadGradientRun);
            return Condition.holds(Alert.WARNING, String.format("Bad initialisation: the loss has been pinned at "
                            + "ln(C) = %.4g for %d steps%s.", lnC, s.pinnedRun,
                    s.deadGradientRun >= config.pinnedSteps() ? " with dead hidden-layer gradients" : ""),
                    evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        if (s.flatThenDrop) {
            evidence.and("flatSteps", s.flatEndStep).and("startLoss", s.startLoss);
            return Condition.holds(Alert.WARNING, String.format("Bad initialisation: the loss stayed flat at %.4g for "
                            + "%d steps, then dropped suddenly.", s.startLoss, s.flatEndStep), evidence.map(), remedy(),
                    Alert.ACTION_STOP);
        }
        return Condition.cleared("The loss left its initial level.", evidence.map());
    }
}
