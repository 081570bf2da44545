package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code underfitting}, on validations after {@code warmupValidations}: training and validation accuracy
 * both below {@code lowAccuracy} and within {@code maxGap} of each other ("nearly equal and both
 * mediocre", seed 004) while the smoothed training loss has not improved for the plateau's patience.
 * Resolves when the accuracies rise or the loss improves.
 */
public final class UnderfittingDetector implements Detector {

    public static final String NAME = "underfitting";
    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = Alert.DETECTORS.indexOf(NAME);

    private final MonitorConfig.Underfitting config;
    private final PlateauDetector plateau;

    public UnderfittingDetector(MonitorConfig.Underfitting config, PlateauDetector plateau) {
        this.config = config;
        this.plateau = plateau;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** A smoothed loss this fraction below ln(C) has learned something, whatever its start (ours: 20 %, the plateau's progress). */
    static final double LEARNED_BELOW_CHANCE = 0.2;

    @Override
    public String remedy() {
        return "Use a bigger model (wider or deeper layers), less regularisation (lower L2, less dropout), or "
                + "better features; train longer only if the loss still falls.";
    }

    @Override
    public Condition onStep(RunState s, io.trainwatch.events.StepEvent e) {
        return s.validations == 0 ? Condition.UNCHANGED : evaluate(s, s.trainAccuracy, s.validationAccuracy);
    }

    @Override
    public Condition onValidation(RunState s, ValidationEvent v) {
        double trainAcc = Stats.finite(v.trainAccuracy()) ? v.trainAccuracy() : s.accuracy;
        double valAcc = Stats.finite(v.validationAccuracy()) ? v.validationAccuracy() : Double.NaN;
        return evaluate(s, trainAcc, valAcc);
    }

    private Condition evaluate(RunState s, double trainAcc, double valAcc) {
        if (Double.isNaN(trainAcc) || Double.isNaN(valAcc) || Double.isNaN(s.ema)) {
            return Condition.UNCHANGED;
        }
        long flatFor = s.lastStep - s.bestStep;
        boolean low = trainAcc < config.lowAccuracy() && valAcc < config.lowAccuracy()
                && Math.abs(trainAcc - valAcc) <= config.maxGap();
        boolean flat = flatFor >= plateau.patience(s);
        s.lowAccuracyRun = low ? s.lowAccuracyRun + 1 : 0;
        // Underfitting learns something, then stalls mediocre; a loss flat since its start (the first half of
        // "flat, then a sudden drop") is bad initialisation or a rate too low, not a model too small. A model that
        // starts below chance (a linear model on standardised features) has learned too.
        boolean learned = plateau.progressed(s) || (Double.isFinite(s.chanceLoss) && s.chanceLoss > 0
                && s.minEma <= (1 - LEARNED_BELOW_CHANCE) * s.chanceLoss);
        boolean holds = s.validations >= config.warmupValidations() && low && flat && learned;
        boolean clears = !low || !flat;
        Condition unread = !holds && !clears ? Condition.UNCHANGED : Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("trainAccuracy", trainAcc).and("validationAccuracy", valAcc)
                .and("accuracyGap", trainAcc - valAcc).and("smoothedLoss", s.ema)
                .and("stepsWithoutProgress", flatFor);
        if (holds) {
            evidence.and("lowAccuracyThreshold", config.lowAccuracy());
            return Condition.holds(Alert.WARNING, String.format("Underfitting: train and validation accuracy are "
                            + "both low (%.3f, %.3f) and the loss has been flat for %d steps.", trainAcc, valAcc, flatFor),
                    evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        if (!low || !flat) {
            return Condition.cleared("Accuracy or loss improves again.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
