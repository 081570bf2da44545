package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code underfitting}, after {@code warmupValidations} validations: training and validation accuracy both below
 * {@code lowAccuracy} and within {@code maxGap} of each other ("nearly equal and both mediocre", CS231n) while the
 * smoothed training loss has not improved for the plateau's patience; or, whatever the accuracy, a plateau that
 * outlasts its remedy (stalled for {@code flatPatiences} plateau patiences with updates under {@code maxUpdateRatio} of
 * the parameters, or one patience after a learning-rate decay)
 * with no train/validation gap (validation loss within {@code maxLossGap} of the training loss, accuracies within
 * {@code maxGap}) at a mediocre level (for cross-entropy, exp(-loss) under {@code lowProbability}). When the
 * learning rate is the cause (a validation accuracy that oscillates, or updates too small: {@link RateCause}) the
 * alert says so and suggests decaying or raising the rate instead of a bigger model. Resolves when the loss
 * improves, or neither signature holds.
 */
public final class UnderfittingDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.UNDERFITTING);

    private final MonitorConfig.Underfitting config;
    private final PlateauDetector plateau;

    public UnderfittingDetector(MonitorConfig.Underfitting config, PlateauDetector plateau) {
        this.config = config;
        this.plateau = plateau;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.UNDERFITTING;
    }

    /** A smoothed loss this fraction below ln(C) has learned something, whatever its start (ours: 20 %, the plateau's progress). */
    static final double LEARNED_BELOW_CHANCE = 0.2;

    @Override
    public String remedy() {
        return "Use a bigger model (wider or deeper layers), less regularisation (lower L2, less dropout), or "
                + "better features; train longer only if the loss still falls.";
    }

    /** Weight of each validation in the EMA of the validation accuracy's swing (about the last five validations). */
    private static final double SWING_ALPHA = 0.3;

    /** Weight of each step in the slow EMA of the output layer's update ratio (a ~40-step window, as the loss's). */
    private static final double UPDATE_ALPHA = 0.05;

    @Override
    public Condition onStep(RunState s, io.trainwatch.events.StepEvent e) {
        double update = Stats.last(e.updateRatios());
        if (Double.isFinite(update) && update > 0) {
            s.emaLogUpdateSlow = Stats.ema(s.emaLogUpdateSlow, Math.log10(update), UPDATE_ALPHA);
        }
        return s.validations == 0 ? Condition.UNCHANGED : evaluate(s, s.trainAccuracy, s.validationAccuracy);
    }

    @Override
    public Condition onValidation(RunState s, ValidationEvent v) {
        double trainAcc = Stats.finite(v.trainAccuracy()) ? v.trainAccuracy() : s.accuracy;
        double valAcc = Stats.finite(v.validationAccuracy()) ? v.validationAccuracy() : Double.NaN;
        if (!Double.isNaN(valAcc)) {
            if (!Double.isNaN(s.lastValidationAccuracy)) {
                s.validationAccuracySwing = Stats.ema(s.validationAccuracySwing,
                        Math.abs(valAcc - s.lastValidationAccuracy), SWING_ALPHA);
            }
            s.lastValidationAccuracy = valAcc;
        }
        return evaluate(s, trainAcc, valAcc);
    }

    private Condition evaluate(RunState s, double trainAcc, double valAcc) {
        if (Double.isNaN(s.ema)) {
            return Condition.UNCHANGED;
        }
        boolean accuracies = !Double.isNaN(trainAcc) && !Double.isNaN(valAcc);
        long flatFor = s.lastStep - s.bestStep;
        boolean low = accuracies && trainAcc < config.lowAccuracy() && valAcc < config.lowAccuracy()
                && Math.abs(trainAcc - valAcc) <= config.maxGap();
        boolean flat = flatFor >= plateau.patience(s);
        s.lowAccuracyRun = low ? s.lowAccuracyRun + 1 : 0;
        // Underfitting learns something, then stalls mediocre; a loss flat since its start (the first half of
        // "flat, then a sudden drop") is bad initialisation or a rate too low, not a model too small. A model that
        // starts below chance (a linear model on standardised features) has learned too.
        boolean learned = plateau.progressed(s) || (Double.isFinite(s.chanceLoss) && s.chanceLoss > 0
                && s.minEma <= (1 - LEARNED_BELOW_CHANCE) * s.chanceLoss);
        boolean byAccuracy = low && flat && learned;
        // A plateau that outlasts its own remedy: stalled (not converged) for flatPatiences plateau patiences, or for
        // one patience after a learning-rate decay that did not help, with no train/validation gap. A rate problem
        // moves when the rate changes; a model that cannot fit the data better (too little capacity, too much
        // regularisation) does not, and its train and validation figures agree.
        // Updates above the DL4J UI's unstable line say the rate holds the loss up: that plateau is the rate's until a
        // decay fails to move it.
        long patience = plateau.patience(s);
        // An announced weight decay shrinks every weight by lr x l2 of itself each step (SGD's update is
        // lr x (gradient + l2 x w)): that share of the update ratio is the regulariser's, not the rate's noise.
        double decayShare = s.l2 > 0 && s.learningRate > 0 ? s.learningRate * s.l2 : 0;
        boolean rateBound = s.emaLogUpdateSlow > Math.log10(config.maxUpdateRatio() + decayShare)
                || s.emaLogUpdateSlow < Math.log10(config.minUpdateRatio());
        // A decay made while the loss still improved is lr-decayed-too-early's diagnosis, not the model's limit; a
        // decay that answered the flat (the engine keeps no early decay for it) and did not move it is.
        boolean earlyDecay = s.lrDropStep >= 0;
        boolean outlasted = plateau.stalled(s) && !earlyDecay
                && ((flatFor >= config.flatPatiences() * patience && !rateBound)
                || (s.lastDecayStep > s.bestStep && s.lastStep - s.lastDecayStep >= patience));
        double trainLoss = Double.isFinite(s.trainLoss) ? s.trainLoss : s.ema;
        boolean noLossGap = Double.isFinite(s.validationLoss) && Double.isFinite(trainLoss) && trainLoss > 0
                && s.validationLoss <= (1 + config.maxLossGap()) * trainLoss;
        boolean noAccuracyGap = !accuracies || Math.abs(trainAcc - valAcc) <= config.maxGap();
        boolean mediocre = !s.crossEntropy || Math.exp(-s.ema) < config.lowProbability();
        boolean byFlat = outlasted && learned && mediocre && noLossGap && noAccuracyGap;
        boolean holds = s.validations >= config.warmupValidations() && (byAccuracy || byFlat);
        boolean clears = !flat || (!low && !byFlat);
        Condition unread = !holds && !clears ? Condition.UNCHANGED : Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("trainAccuracy", trainAcc).and("validationAccuracy", valAcc)
                .and("accuracyGap", trainAcc - valAcc).and("smoothedLoss", s.ema)
                .and("stepsWithoutProgress", flatFor);
        Condition rate = holds ? rateCause(s, evidence, flatFor) : null;
        if (rate != null) {
            return rate;
        }
        if (holds && byAccuracy) {
            evidence.and("lowAccuracyThreshold", config.lowAccuracy());
            return Condition.holds(Alert.WARNING, String.format("Underfitting: train and validation accuracy are "
                            + "both low (%.3f, %.3f) and the loss has been flat for %d steps.", trainAcc, valAcc, flatFor),
                    evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        if (holds) {
            evidence.and("trainLoss", trainLoss).and("validationLoss", s.validationLoss)
                    .and("plateauPatience", patience);
            if (s.lastDecayStep > s.bestStep) {
                evidence.and("decayStep", s.lastDecayStep);
            }
            String level = Double.isFinite(s.chanceLoss) && s.chanceLoss > 0
                    ? String.format("%.0f%% of ln(C)", 100 * s.ema / s.chanceLoss)
                    : String.format("%.0f%% of its start", 100 * s.ema / s.startLoss);
            String after = s.lastDecayStep > s.bestStep
                    ? String.format(", %d after a learning-rate decay at step %d that did not help", s.lastStep
                    - s.lastDecayStep, s.lastDecayStep)
                    : String.format(" (%.1f plateau patiences)", flatFor / (double) patience);
            String accuracy = accuracies ? String.format("accuracy %.3f / %.3f, ", trainAcc, valAcc) : "";
            return Condition.holds(Alert.WARNING, String.format("Underfitting: the loss has been flat at %.4g (%s) for "
                            + "%d steps%s, with no train/validation gap (%sloss %.4g / %.4g): the model cannot fit the "
                            + "data better, not a learning-rate plateau.", s.ema, level, flatFor, after, accuracy,
                    trainLoss, s.validationLoss), evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        return Condition.cleared("Accuracy or loss improves again.", evidence.map());
    }

    /**
     * The alert when the learning rate, not the model, holds the run back (null: it does not): a validation accuracy
     * that swings by {@code oscillationSwing} or more is a rate too high, an update:parameter ratio below
     * {@code minUpdateRatio} a rate too low. The alert keeps this detector's name, for a consumer that stops on it, but
     * its summary, remedy and suggested action name the rate, so that a tuner narrows the rate, not the model.
     */
    private Condition rateCause(RunState s, Evidence evidence, long flatFor) {
        if (!Double.isNaN(s.validationAccuracySwing) && s.validationAccuracySwing >= config.oscillationSwing()) {
            evidence.and("validationAccuracySwing", s.validationAccuracySwing)
                    .and("oscillationSwing", config.oscillationSwing()).and("learningRate", s.learningRate);
            return Condition.holds(Alert.WARNING, String.format("Underfitting in appearance only: the loss has not "
                            + "improved for %d steps, but %s.", flatFor, RateCause.oscillates(s.learningRate,
                            s.validationAccuracySwing)), evidence.map(),
                    RateCause.decayRemedy(s.learningRate, s.validationAccuracySwing), Alert.ACTION_DECAY_LR);
        }
        double low = RateCause.lowUpdateRatio(s, config.minUpdateRatio());
        if (!Double.isNaN(low)) {
            evidence.and("smoothedUpdateRatio", low).and("learningRate", s.learningRate);
            return Condition.holds(Alert.WARNING, String.format("Underfitting in appearance only: the loss has not "
                    + "improved for %d steps, but %s.", flatFor, RateCause.tooLow(low)), evidence.map(),
                    RateCause.raiseRemedy(low), Alert.ACTION_RAISE_LR);
        }
        return null;
    }
}
