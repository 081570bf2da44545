package io.trainwatch.tuner.policy;

/**
 * The knobs of the tuner's reactions to alerts. Each default names its public source (Keras
 * {@code ReduceLROnPlateau}, early stopping, ...); "ours" marks a choice of this project, with its reason in
 * the README.
 *
 * @param plateauFactor               new rate = rate x factor on a plateau (Keras ReduceLROnPlateau factor 0.1)
 * @param plateauCooldownSteps        steps after a decay in which another plateau alert is ignored
 *                                    (Keras cooldown is 0 epochs; ours 50 steps, since the detector sees every step)
 * @param minLearningRate             the floor of the decays (Keras min_lr 0; ours 1e-6, a command needs a rate > 0)
 * @param minImprovement              an improvement smaller than this does not count (Keras min_delta 1e-4)
 * @param maxDecaysWithoutImprovement stop the trial after this many decays with no improvement (ours: 2)
 * @param tooEarlyWaitFactor          after {@code lr-decayed-too-early}, the cooldown grows by this factor (ours: 2)
 * @param divergenceCeilingFactor     the study's learning-rate ceiling drops to diverging rate x this (ours: 0.5)
 * @param remedyLearningRateFactor    a remedy trial for divergence trains at rate x this (Keras factor 0.1)
 * @param overfitL2Factor             a remedy trial for overfitting has L2 x this (ours: 10, one decade)
 * @param overfitDropoutStep          ... and dropout + this (ours: 0.2)
 * @param favourShare                 share of later samples drawn from favoured choices (ours: 0.8)
 * @param minRangeKeep                a remedy keeps at least this share of a range's width (ours: 0.25)
 * @param stopOnUnderfitting          whether underfitting stops the trial (true: it cannot recover in-trial; false only steers later trials)
 * @param deferWhileImproving         no decay on a (training-loss) plateau alert while the trial's validation objective
 *                                    is still improving; the decision is deferred and reconsidered at each next
 *                                    validation (Keras ReduceLROnPlateau monitors {@code val_loss} by default: a decay
 *                                    answers a plateau of the validation metric, not of the training loss alone)
 * @param validationPatience          "still improving" means: the objective's best rose by more than
 *                                    {@code validationMinDelta} at one of the last this-many validations (ours: 3,
 *                                    i.e. 150 steps at the benchmark's validation every 50 steps; Keras patience is
 *                                    10 epochs, too long for trials of 12-18 validations)
 * @param validationMinDelta          the least rise of the validation objective that counts (Keras min_delta 1e-4)
 * @param raiseFactor                 a rate the monitor finds too low (updates tiny next to the weights, healthy
 *                                    gradients: its {@code raise-learning-rate}) is raised mid-trial by this factor,
 *                                    at most to the study's current ceiling (ours: 3, the low end of the x3 to x10 of
 *                                    the monitor's remedy, after the DL4J training UI's update:parameter guidance)
 * @param maxRaises                   at most this many such raises per trial or steered run (ours: 2); after them the
 *                                    reaction is the one without a raise (underfitting stops the trial)
 * @param underfittingMinShare        an underfitting stop of a study's trial (the model's underfitting) waits until
 *                                    the trial has trained this share of its steps and its validation objective no
 *                                    longer improves (ours: 0.5; successive halving and Hyperband judge a
 *                                    configuration at a fixed share of its budget, not at its first flat stretch:
 *                                    in the benchmark, a trial stopped at step 141 of 600 would have reached 0.96)
 */
public record PolicySettings(
        double plateauFactor,
        long plateauCooldownSteps,
        double minLearningRate,
        double minImprovement,
        int maxDecaysWithoutImprovement,
        double tooEarlyWaitFactor,
        double divergenceCeilingFactor,
        double remedyLearningRateFactor,
        double overfitL2Factor,
        double overfitDropoutStep,
        double favourShare,
        double minRangeKeep,
        boolean stopOnUnderfitting,
        boolean deferWhileImproving,
        int validationPatience,
        double validationMinDelta,
        double raiseFactor,
        int maxRaises,
        double underfittingMinShare) {

    public PolicySettings {
        if (!(plateauFactor > 0 && plateauFactor < 1)) {
            throw new IllegalArgumentException("plateau factor must be in (0, 1), was " + plateauFactor);
        }
        if (!(minLearningRate > 0)) {
            throw new IllegalArgumentException("min learning rate must be > 0, was " + minLearningRate);
        }
        if (!(divergenceCeilingFactor > 0 && divergenceCeilingFactor < 1)) {
            throw new IllegalArgumentException("divergence ceiling factor must be in (0, 1)");
        }
        if (maxDecaysWithoutImprovement < 1) {
            throw new IllegalArgumentException("max decays without improvement must be >= 1");
        }
        if (validationPatience < 1) {
            throw new IllegalArgumentException("validation patience must be >= 1, was " + validationPatience);
        }
        if (!(validationMinDelta >= 0) || Double.isInfinite(validationMinDelta)) {
            throw new IllegalArgumentException("validation min delta must be finite and >= 0, was " + validationMinDelta);
        }
        if (!(raiseFactor > 1) || Double.isInfinite(raiseFactor)) {
            throw new IllegalArgumentException("raise factor must be finite and > 1, was " + raiseFactor);
        }
        if (maxRaises < 0) {
            throw new IllegalArgumentException("max raises must be >= 0, was " + maxRaises);
        }
        if (!(underfittingMinShare >= 0 && underfittingMinShare <= 1)) {
            throw new IllegalArgumentException("underfitting min share must be in [0, 1], was " + underfittingMinShare);
        }
    }

    /** The settings with the raise's and the underfitting deferral's knobs at their defaults (x3, at most 2; 0.5). */
    public PolicySettings(double plateauFactor, long plateauCooldownSteps, double minLearningRate, double minImprovement,
                          int maxDecaysWithoutImprovement, double tooEarlyWaitFactor, double divergenceCeilingFactor,
                          double remedyLearningRateFactor, double overfitL2Factor, double overfitDropoutStep,
                          double favourShare, double minRangeKeep, boolean stopOnUnderfitting,
                          boolean deferWhileImproving, int validationPatience, double validationMinDelta) {
        this(plateauFactor, plateauCooldownSteps, minLearningRate, minImprovement, maxDecaysWithoutImprovement,
                tooEarlyWaitFactor, divergenceCeilingFactor, remedyLearningRateFactor, overfitL2Factor, overfitDropoutStep,
                favourShare, minRangeKeep, stopOnUnderfitting, deferWhileImproving, validationPatience,
                validationMinDelta, 3.0, 2, 0.5);
    }

    /** The settings without the validation check's knobs: those take their defaults (deferral on, 3, 1e-4). */
    public PolicySettings(double plateauFactor, long plateauCooldownSteps, double minLearningRate, double minImprovement,
                          int maxDecaysWithoutImprovement, double tooEarlyWaitFactor, double divergenceCeilingFactor,
                          double remedyLearningRateFactor, double overfitL2Factor, double overfitDropoutStep,
                          double favourShare, double minRangeKeep, boolean stopOnUnderfitting) {
        this(plateauFactor, plateauCooldownSteps, minLearningRate, minImprovement, maxDecaysWithoutImprovement,
                tooEarlyWaitFactor, divergenceCeilingFactor, remedyLearningRateFactor, overfitL2Factor, overfitDropoutStep,
                favourShare, minRangeKeep, stopOnUnderfitting, true, 3, 1e-4, 3.0, 2, 0.5);
    }

    public static PolicySettings defaults() {
        return new PolicySettings(0.1, 50, 1e-6, 1e-4, 2, 2.0, 0.5, 0.1, 10.0, 0.2, 0.8, 0.25, true, true, 3, 1e-4, 3.0, 2, 0.5);
    }
}
