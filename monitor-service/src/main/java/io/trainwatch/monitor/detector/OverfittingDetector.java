package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code overfitting}, on validations: the validation loss stays {@code validationRise} above its minimum
 * for {@code patience} consecutive validations while the training loss is below its value at that
 * minimum; or the train/validation accuracy gap is at least 0.1 (0.07 when train accuracy > 0.9,
 * AUTOTRAINER) for {@code patience} validations, wider than when the streak began while validation accuracy fell
 * (a steady gap with both rising is healthy, seed 004). Resolves when
 * neither holds.
 */
public final class OverfittingDetector implements Detector {

    public static final String NAME = "overfitting";

    private final MonitorConfig.Overfitting config;

    public OverfittingDetector(MonitorConfig.Overfitting config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String remedy() {
        return "Add regularisation (L2 weight decay, dropout), get more data or augment it, use a smaller model, "
                + "or stop early at the validation minimum.";
    }

    @Override
    public Condition onValidation(RunState s, ValidationEvent v) {
        double trainLoss = Stats.finite(v.trainLoss()) ? v.trainLoss() : s.ema;
        boolean lossRising = false;
        if (Stats.finite(v.validationLoss())) {
            double vl = v.validationLoss();
            if (Double.isNaN(s.minValidationLoss) || vl < s.minValidationLoss) {
                s.minValidationLoss = vl;
                s.minValidationStep = v.step();
                s.trainLossAtMinValidation = trainLoss;
                s.validationRiseRun = 0;
            } else if (vl - s.minValidationLoss > config.validationRise() * Math.abs(s.minValidationLoss)) {
                s.validationRiseRun++;
            } else {
                s.validationRiseRun = 0;
            }
            lossRising = s.validationRiseRun >= config.patience() && Double.isFinite(trainLoss)
                    && trainLoss < s.trainLossAtMinValidation;
        }
        double trainAcc = Stats.finite(v.trainAccuracy()) ? v.trainAccuracy() : Double.NaN;
        double valAcc = Stats.finite(v.validationAccuracy()) ? v.validationAccuracy() : Double.NaN;
        boolean gapGrowing = false;
        double gap = trainAcc - valAcc;
        if (!Double.isNaN(gap)) {
            double threshold = trainAcc > config.highTrainAccuracy() ? config.accuracyGapHigh() : config.accuracyGap();
            if (gap >= threshold) {
                if (s.gapRun == 0) {
                    s.gapAtStreakStart = gap;
                    s.validationAccuracyAtStreakStart = valAcc;
                }
                s.gapRun++;
            } else {
                s.gapRun = 0;
            }
            s.lastGap = gap;
            gapGrowing = s.gapRun >= config.patience() && gap >= s.gapAtStreakStart + config.accuracyGapGrowth()
                    && valAcc <= s.validationAccuracyAtStreakStart - config.accuracyGapGrowth() / 2
                    && s.minValidationStep != v.step(); // a validation loss at a new minimum is no overfitting
        }
        // AUTOTRAINER's two features together: a held accuracy gap and a validation loss up from its minimum
        // while the training loss went down; then a small rise suffices.
        boolean gapAndLossUp = s.gapRun >= config.patience() && Stats.finite(v.validationLoss())
                && s.minValidationStep != v.step()
                && v.validationLoss() - s.minValidationLoss > config.gapValidationRise() * Math.abs(s.minValidationLoss)
                && Double.isFinite(trainLoss) && trainLoss < s.trainLossAtMinValidation;
        Evidence evidence = new Evidence();
        if (Stats.finite(v.validationLoss())) {
            evidence.and("validationLoss", v.validationLoss()).and("minValidationLoss", s.minValidationLoss)
                    .and("minValidationStep", s.minValidationStep);
        }
        evidence.and("trainLoss", trainLoss).and("trainLossAtMinValidation", s.trainLossAtMinValidation);
        if (!Double.isNaN(gap)) {
            evidence.and("trainAccuracy", trainAcc).and("validationAccuracy", valAcc).and("accuracyGap", gap);
        }
        if (lossRising || gapGrowing || gapAndLossUp) {
            evidence.and("validationsRising", Math.max(s.validationRiseRun, s.gapRun));
            String why = lossRising
                    ? String.format("the validation loss %.4g is %.0f%% above its minimum %.4g (step %d) for %d "
                            + "validations while the training loss fell to %.4g", v.validationLoss(),
                    100 * (v.validationLoss() / s.minValidationLoss - 1), s.minValidationLoss, s.minValidationStep,
                    s.validationRiseRun, trainLoss)
                    : gapGrowing ? String.format("the train/validation accuracy gap %.3f keeps growing (from %.3f) for %d "
                    + "validations", gap, s.gapAtStreakStart, s.gapRun)
                    : String.format("the train/validation accuracy gap %.3f holds for %d validations and the "
                    + "validation loss %.4g is %.1f%% above its minimum %.4g (step %d) while the training loss fell to "
                    + "%.4g", gap, s.gapRun, v.validationLoss(), 100 * (v.validationLoss() / s.minValidationLoss - 1),
                    s.minValidationLoss, s.minValidationStep, trainLoss);
            return Condition.holds(Alert.WARNING, "Overfitting: " + why + ".", evidence.map(), remedy(),
                    Alert.ACTION_STOP);
        }
        if (s.validationRiseRun == 0 && s.gapRun == 0) {
            return Condition.cleared("Validation loss and accuracy gap are back to normal.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
