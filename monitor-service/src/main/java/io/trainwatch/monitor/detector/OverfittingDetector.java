package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code overfitting}, on validations: the validation loss stays {@code validationRise} above its minimum
 * for {@code patience} consecutive validations while the training loss is below its value at that
 * minimum (and, where accuracies are reported, train and validation accuracy differ by AUTOTRAINER's gap); or the train/validation accuracy gap is at least 0.1 (0.07 when train accuracy > 0.9,
 * AUTOTRAINER) for {@code patience} validations, wider than when the streak began while validation accuracy fell
 * (a steady gap with both rising is healthy); or, whatever the accuracy gap, the validation loss risen for
 * {@code sustainedPatience} validations, still above where the rise began, while the training loss kept falling
 * (Keras EarlyStopping on val_loss, CS231n). Resolves when none holds.
 */
public final class OverfittingDetector implements Detector {


    private final MonitorConfig.Overfitting config;

    public OverfittingDetector(MonitorConfig.Overfitting config) {
        this.config = config;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.OVERFITTING;
    }

    @Override
    public String remedy() {
        return "Add regularisation (L2 weight decay, dropout), get more data or augment it, use a smaller model, "
                + "or stop early at the validation minimum.";
    }

    /** E|x| of a second difference of unit-variance white noise: sqrt(6) * sqrt(2 / pi). */
    static final double SECOND_DIFFERENCE_MEAN_ABS = Math.sqrt(6) * Math.sqrt(2 / Math.PI);
    /** Weight of each new |second difference| in the noise EMA. */
    private static final double NOISE_ALPHA = 0.3;

    /**
     * Tracks the validation loss's noise: an EMA of |v(t) - 2 v(t-1) + v(t-2)|, which a straight trend leaves at 0,
     * over triples whose first two were no new minimum (the descent into a minimum and its turn are the trend).
     */
    static void updateNoise(RunState s, double vl) {
        if (!Double.isNaN(s.previousValidationLoss) && s.lastValidationLoss != s.minValidationLoss
                && s.previousValidationLoss != s.minValidationLoss) {
            double d2 = Math.abs(vl - 2 * s.lastValidationLoss + s.previousValidationLoss);
            if (Double.isFinite(d2)) {
                s.validationNoise = Stats.ema(s.validationNoise, d2, NOISE_ALPHA);
            }
        }
        s.previousValidationLoss = s.lastValidationLoss;
        s.lastValidationLoss = vl;
    }

    /**
     * Whether {@code vl} is {@code fraction} above a positive minimum (a relative rise against a minimum of 0 is
     * undefined: float32 cross-entropy is exactly 0 on an all-correct set) and more than {@code noiseSigmas}
     * standard deviations of the validation loss's own noise above it.
     */
    boolean risen(RunState s, double vl, double fraction) {
        double min = s.minValidationLoss;
        if (!(min > 0) || !Double.isFinite(vl) || vl - min <= fraction * min) {
            return false;
        }
        double sigma = Double.isNaN(s.validationNoise) ? 0 : s.validationNoise / SECOND_DIFFERENCE_MEAN_ABS;
        return vl - min > config.noiseSigmas() * sigma;
    }

    @Override
    public Condition onValidation(RunState s, ValidationEvent v) {
        double trainLoss = Stats.finite(v.trainLoss()) ? v.trainLoss() : s.ema;
        boolean lossRising = false;
        if (Stats.finite(v.validationLoss())) {
            double vl = v.validationLoss();
            updateNoise(s, vl);
            if (Double.isNaN(s.minValidationLoss) || vl < s.minValidationLoss) {
                s.minValidationLoss = vl;
                s.minValidationStep = v.step();
                s.trainLossAtMinValidation = trainLoss;
                s.validationRiseRun = 0;
            } else if (risen(s, vl, config.validationRise())) {
                if (s.validationRiseRun == 0) {
                    s.riseStartValidationLoss = vl;
                    s.riseStartTrainLoss = trainLoss;
                } else if (Double.isNaN(s.riseStartTrainLoss)) {
                    s.riseStartTrainLoss = trainLoss; // the first finite training loss of the rise
                }
                s.validationRiseRun++;
            } else {
                s.validationRiseRun = 0;
            }
            lossRising = s.validationRiseRun >= config.patience() && Double.isFinite(trainLoss)
                    && trainLoss < s.trainLossAtMinValidation;
        }
        double trainAcc = Stats.finite(v.trainAccuracy()) ? v.trainAccuracy() : Double.NaN;
        double valAcc = Stats.finite(v.validationAccuracy()) ? v.validationAccuracy() : Double.NaN;
        double gap = trainAcc - valAcc;
        double gapThreshold = trainAcc > config.highTrainAccuracy() ? config.accuracyGapHigh() : config.accuracyGap();
        // Overfitting is a generalisation gap ("train accuracy keeps rising while validation falls and the gap grows",
        // CS231n): where both accuracies are reported and agree within AUTOTRAINER's gap, a validation loss up from
        // its minimum is the model's confidence on a few examples moving, not a gap. Without accuracies the loss decides.
        lossRising &= Double.isNaN(gap) || gap >= gapThreshold;
        // Unless the rise is sustained: risen for sustainedPatience validations, still above where the rise began,
        // while the training loss kept falling. That is overfitting by the validation loss alone (Keras
        // EarlyStopping on val_loss, CS231n's curves), whatever the accuracy gap: the model grows confidently wrong
        // on the validation examples it misses.
        boolean sustained = Stats.finite(v.validationLoss()) && s.validationRiseRun >= config.sustainedPatience()
                && v.validationLoss() > s.riseStartValidationLoss && Double.isFinite(trainLoss)
                && trainLoss < s.trainLossAtMinValidation && trainLoss <= s.riseStartTrainLoss;
        lossRising |= sustained;
        boolean gapGrowing = false;
        if (!Double.isNaN(gap)) {
            if (gap >= gapThreshold) {
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
                && risen(s, v.validationLoss(), config.gapValidationRise())
                && Double.isFinite(trainLoss) && trainLoss < s.trainLossAtMinValidation;
        Evidence evidence = new Evidence();
        if (Stats.finite(v.validationLoss())) {
            evidence.and("validationLoss", v.validationLoss()).and("minValidationLoss", s.minValidationLoss)
                    .and("minValidationStep", s.minValidationStep);
            if (!Double.isNaN(s.validationNoise)) {
                evidence.and("validationLossNoise", s.validationNoise / SECOND_DIFFERENCE_MEAN_ABS);
            }
        }
        evidence.and("trainLoss", trainLoss).and("trainLossAtMinValidation", s.trainLossAtMinValidation);
        if (!Double.isNaN(gap)) {
            evidence.and("trainAccuracy", trainAcc).and("validationAccuracy", valAcc).and("accuracyGap", gap);
        }
        if (lossRising || gapGrowing || gapAndLossUp) {
            evidence.and("validationsRising", Math.max(s.validationRiseRun, s.gapRun));
            if (sustained) {
                evidence.and("riseStartValidationLoss", s.riseStartValidationLoss)
                        .and("riseStartTrainLoss", s.riseStartTrainLoss);
            }
            String why = sustained && !(Double.isNaN(gap) || gap >= gapThreshold)
                    ? String.format("the validation loss %.4g is %.0f%% above its minimum %.4g (step %d) and has kept "
                            + "rising for %d validations (from %.4g) while the training loss fell from %.4g to %.4g",
                    v.validationLoss(), 100 * (v.validationLoss() / s.minValidationLoss - 1), s.minValidationLoss,
                    s.minValidationStep, s.validationRiseRun, s.riseStartValidationLoss, s.riseStartTrainLoss,
                    trainLoss)
                    : lossRising
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
