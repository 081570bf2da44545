package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code vanishing-gradients}: the first layer's gradient is tiny next to the last layer's (AUTOTRAINER:
 * ratio <= 1e-3 and first-layer norm <= 1e-4), or the first layer's update:parameter ratio stays below
 * 1e-4 while the last layer's does not (DL4J UI guidance: about 1e-3) and the gradient fades on its way there
 * (first/last ratio at most {@link RateCause#FADING}): a small update ratio with gradients that reach the first layer is a
 * learning rate too low, which plateau and underfitting report. Both on log-scale EMAs, for
 * {@code patience} consecutive steps; it resolves after as many steps without the condition. Also dead
 * hidden layers (dying ReLU): every hidden layer's gradient norm exactly 0 for {@code patience} steps after
 * some had been non-zero, the extreme of a gradient that no longer reaches the first layers (SageMaker
 * DeadRelu); all zero from the first step is symmetric initialisation, and dead units in a run that started
 * far from ln C are huge initial weights: bad-initialization reports both.
 */
public final class VanishingGradientsDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.VANISHING_GRADIENTS);
    private static final double ALPHA = 0.2;
    /** Every hidden layer at or below this (SageMaker: 1e-7) is symmetric init, which bad-initialization reports. */
    private static final double DEAD = 1e-7;

    private final MonitorConfig.VanishingGradients config;
    private final double initialLossFactor;
    private final double logRatio;
    private final double logFirst;
    private final double logUpdate;

    public VanishingGradientsDetector(MonitorConfig.VanishingGradients config, MonitorConfig.BadInitialization badInit) {
        this.config = config;
        this.initialLossFactor = badInit.initialLossFactor();
        this.logRatio = Math.log10(config.ratio());
        this.logFirst = Math.log10(config.firstLayerNorm());
        this.logUpdate = Math.log10(config.updateRatio());
    }

    @Override
    public DetectorName detector() {
        return DetectorName.VANISHING_GRADIENTS;
    }

    @Override
    public String remedy() {
        return "Use ReLU (or a variant) in the hidden layers instead of sigmoid/tanh, He initialisation, "
                + "batch normalisation or residual connections; a shallower network also helps.";
    }

    /** The remedy for dead hidden layers: the units were pushed where ReLU's gradient is 0. */
    static final String DEAD_REMEDY = "Dead ReLU units: lower the learning rate (a too-large step pushed every unit "
            + "negative), use leaky ReLU or ELU with He initialisation, and restart from a checkpoint before they died.";

    /** The remedy for units killed by an explosion: the step was too large, so the rate is the cause. */
    static final String EXPLOSION_DEAD_REMEDY = "The units died in a gradient explosion: lower the learning rate (10x), "
            + "warm it up over the first steps, clip gradients by norm, normalise the inputs, and restart from "
            + "scratch or from a checkpoint before the explosion (the dead units do not recover); leaky ReLU or ELU "
            + "keep a gradient.";

    /**
     * Counts the steps with every hidden layer's gradient norm exactly 0 after some had been non-zero; -1 when
     * the step says nothing (no hidden layer, or a missing or non-finite norm).
     */
    static int deadHiddenSteps(RunState s, StepEvent e) {
        java.util.Map<String, Double> layers = e.layerGradientNorms();
        double hidden = Stats.maxHidden(layers);
        if (!Double.isFinite(hidden)) {
            return -1;
        }
        if (hidden > 0) {
            s.hiddenGradientsSeen = true;
            s.deadHiddenRun = 0;
        } else if (s.hiddenGradientsSeen) {
            s.deadHiddenRun++;
        }
        return s.deadHiddenRun;
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        int dead = deadHiddenSteps(s, e);
        // Units that die in a run that started far from ln C (huge initial weights) are that bad initialisation,
        // which bad-initialization reports with the same remedy (He initialisation).
        boolean farStart = Double.isFinite(s.chanceLoss) && s.chanceLoss > 0
                && s.firstLoss > initialLossFactor * s.chanceLoss;
        if (dead >= 1 && !farStart) {
            s.vanishingClear = 0;
            if (dead >= config.patience()) {
                if (s.active(INDEX)) {
                    return Condition.STILL_HOLDS;
                }
                StringBuilder names = new StringBuilder();
                int i = 0;
                for (String layer : e.layerGradientNorms().keySet()) {
                    if (i++ < e.layerGradientNorms().size() - 1) {
                        names.append(names.isEmpty() ? "" : ", ").append(layer);
                    }
                }
                Evidence evidence = Evidence.of("deadHiddenLayers", e.layerGradientNorms().size() - 1)
                        .and("stepsDead", dead).and("lastLayerGradientNorm", Stats.last(e.layerGradientNorms()))
                        .and("loss", e.loss());
                // Units that die after an explosion died of it: the cause is the learning rate, not the activation.
                if (s.explosionStep >= 0 && s.explosionStep <= e.step()) {
                    evidence.and("explosionStep", s.explosionStep).and("explosionGradientNorm", s.explosionGradientNorm);
                    return Condition.holds(Alert.WARNING, String.format("Vanishing gradients: every hidden layer's "
                                    + "gradient is exactly 0 (%s) for %d steps: dead after a gradient spike at step %d "
                                    + "(gradient norm %.3g): the learning rate is too high.", names, dead,
                            s.explosionStep, s.explosionGradientNorm), evidence.map(), EXPLOSION_DEAD_REMEDY,
                            Alert.ACTION_STOP);
                }
                return Condition.holds(Alert.WARNING, String.format("Vanishing gradients: every hidden layer's "
                        + "gradient is exactly 0 (%s) for %d steps after it was not: dead ReLU units, the network "
                        + "can no longer learn.", names, dead), evidence.map(), DEAD_REMEDY, Alert.ACTION_STOP);
            }
            return Condition.UNCHANGED;
        }
        boolean seen = false;
        double first = Stats.first(e.layerGradientNorms());
        double last = Stats.last(e.layerGradientNorms());
        if (e.layerGradientNorms() != null && e.layerGradientNorms().size() >= 2
                && Double.isFinite(first) && Double.isFinite(last)) {
            s.emaLogFirst = Stats.ema(s.emaLogFirst, Stats.log10(first), ALPHA);
            s.emaLogRatio = Stats.ema(s.emaLogRatio, Stats.log10(first) - Stats.log10(last), ALPHA);
            seen = true;
        }
        double uFirst = Stats.first(e.updateRatios());
        double uLast = Stats.last(e.updateRatios());
        if (e.updateRatios() != null && e.updateRatios().size() >= 2
                && Double.isFinite(uFirst) && Double.isFinite(uLast)) {
            s.emaLogUpdateFirst = Stats.ema(s.emaLogUpdateFirst, Stats.log10(Math.abs(uFirst)), ALPHA);
            s.emaLogUpdateLast = Stats.ema(s.emaLogUpdateLast, Stats.log10(Math.abs(uLast)), ALPHA);
            seen = true;
        }
        if (!seen) {
            return Condition.UNCHANGED;
        }
        double hidden = Stats.maxHidden(e.layerGradientNorms());
        boolean allHiddenDead = !Double.isNaN(hidden) && hidden <= DEAD;
        // AUTOTRAINER also asks for a low accuracy: a converged net (accuracy ~1) has tiny gradients everywhere.
        double accuracy = !Double.isNaN(s.trainAccuracy) ? s.trainAccuracy : s.accuracy;
        boolean learning = !Double.isNaN(accuracy) && accuracy > config.maxAccuracy();
        boolean byNorms = s.emaLogRatio <= logRatio && s.emaLogFirst <= logFirst && !allHiddenDead && !learning;
        // A first layer whose update ratio is 0 because no gradient reaches any hidden layer is symmetric init
        // (recorded zero-init runs: update ratio exactly 0), not vanishing: bad-initialization reports it.
        // A low rate alone makes every update ratio small (a healthy ReLU/He network at rate 0.0045: 7.8e-5 in the
        // first layer with a first/last gradient ratio of 0.21): only a gradient that fades before the first layer
        // is vanishing.
        boolean byUpdates = s.emaLogUpdateFirst < logUpdate && s.emaLogUpdateLast >= logUpdate && !allHiddenDead
                && !learning && RateCause.fading(s);
        if (byNorms || byUpdates) {
            s.vanishingHold++;
            s.vanishingClear = 0;
        } else {
            s.vanishingClear++;
            s.vanishingHold = 0;
        }
        boolean holds = s.vanishingHold >= config.patience();
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("firstLayerGradientNorm", first)
                .and("lastLayerGradientNorm", last)
                .and("smoothedFirstLastRatio", Math.pow(10, s.emaLogRatio))
                .and("smoothedFirstLayerNorm", Math.pow(10, s.emaLogFirst));
        if (!Double.isNaN(s.emaLogUpdateFirst)) {
            evidence.and("smoothedFirstLayerUpdateRatio", Math.pow(10, s.emaLogUpdateFirst))
                    .and("smoothedLastLayerUpdateRatio", Math.pow(10, s.emaLogUpdateLast));
        }
        if (s.vanishingHold >= config.patience()) {
            evidence.and("ratioThreshold", config.ratio()).and("normThreshold", config.firstLayerNorm())
                    .and("stepsHeld", s.vanishingHold);
            String why = byNorms
                    ? String.format("the first layer's gradient norm is %.2g, %.2g of the last layer's, for %d steps",
                    Math.pow(10, s.emaLogFirst), Math.pow(10, s.emaLogRatio), s.vanishingHold)
                    : String.format("the first layer's update:parameter ratio is %.2g while the last layer's is %.2g, "
                    + "for %d steps", Math.pow(10, s.emaLogUpdateFirst), Math.pow(10, s.emaLogUpdateLast),
                    s.vanishingHold);
            return Condition.holds(Alert.WARNING, "Vanishing gradients: " + why + ".", evidence.map(), remedy(),
                    Alert.ACTION_STOP);
        }
        if (s.vanishingClear >= config.patience()) {
            return Condition.cleared("Gradients reach the first layer again.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
