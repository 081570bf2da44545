package io.trainwatch.tuner.policy;

/**
 * The knobs of the tuner's reactions to alerts. Each default names its source (see
 * {@code shared/DOMAIN.md}); "ours" marks a choice of this project, with its reason in the README.
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
 * @param stopOnUnderfitting          whether underfitting stops the trial (true: it cannot recover in-trial; the issue only asks to steer later trials)
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
        boolean stopOnUnderfitting) {

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
    }

    public static PolicySettings defaults() {
        return new PolicySettings(0.1, 50, 1e-6, 1e-4, 2, 2.0, 0.5, 0.1, 10.0, 0.2, 0.8, 0.25, true);
    }
}
