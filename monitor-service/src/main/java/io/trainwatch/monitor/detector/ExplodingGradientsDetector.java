package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

import java.util.Map;

/**
 * {@code exploding-gradients}: a non-finite gradient norm (global or any layer's; SageMaker
 * ExplodingTensor) fires at once; a norm {@code spikeFactor} times the running median of the last 32
 * for {@code spikePatience} consecutive steps, or a first/last layer ratio >= 70 (AUTOTRAINER) held for
 * {@code layerRatioPatience} steps, fire too; a spike must also reach the run's early gradient scale (the median of
 * its first 32 norms), so that a mini-batch bump of a converged run whose norm settled far below it is no explosion.
 * An explosion judged against the run's own start fires at once in the first 32 steps: a batch loss
 * {@code earlyLossFactor} times the first loss (or ln C) with a gradient norm {@code earlyGradientFactor} times the
 * first step's. It resolves after {@code layerRatioPatience} calm steps.
 */
public final class ExplodingGradientsDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.EXPLODING_GRADIENTS);
    private static final double ALPHA = 0.2;

    private final MonitorConfig.ExplodingGradients config;
    private final double logLayerRatio;

    public ExplodingGradientsDetector(MonitorConfig.ExplodingGradients config) {
        this.config = config;
        this.logLayerRatio = Math.log10(config.layerRatio());
    }

    @Override
    public DetectorName detector() {
        return DetectorName.EXPLODING_GRADIENTS;
    }

    @Override
    public String remedy() {
        return "Lower the learning rate (by 10x), warm it up over the first steps, clip gradients by norm, "
                + "normalise the inputs, use Xavier/He initialisation instead of a large-variance one, or add batch "
                + "normalisation.";
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        Map<String, Double> layers = e.layerGradientNorms();
        Double global = e.gradientNorm();
        boolean nonFinite = (global != null && !Double.isFinite(global)) || Stats.anyNonFinite(layers);
        double norm = global != null ? global : l2(layers);
        if (Double.isNaN(norm) && !nonFinite) {
            return Condition.UNCHANGED;
        }
        int n = Math.min(s.gradientCount, RunState.GRADIENT_WINDOW);
        double median = Stats.median(s.gradientWindow, n);
        if (!nonFinite && Double.isNaN(s.firstGradientNorm) && norm > 0) {
            s.firstGradientNorm = norm;
        }
        // A spike must also reach the run's early gradient scale: a converged run's norm settles orders of magnitude
        // below where it started, and a mini-batch bump over that tiny median is no explosion.
        double earlyScale = Double.isFinite(s.earlyGradientScale) ? s.earlyGradientScale : median;
        boolean spike = !nonFinite && s.gradientCount >= config.warmupSteps() && median > 0
                && norm > config.spikeFactor() * median
                && !(norm < config.minFractionOfEarlyScale() * earlyScale);
        if (nonFinite) {
            s.nonFiniteGradientRun++;
        } else {
            s.nonFiniteGradientRun = 0;
            s.gradientWindow[s.gradientCount % RunState.GRADIENT_WINDOW] = (float) norm;
            s.gradientCount++;
            if (s.gradientCount == RunState.GRADIENT_WINDOW) {
                s.earlyGradientScale = Stats.median(s.gradientWindow, RunState.GRADIENT_WINDOW);
            }
        }
        s.spikeRun = spike ? s.spikeRun + 1 : 0;
        // An explosion judged against the run's own start, in its first steps (while its early gradient scale is being
        // set), which needs no history: the batch loss far above the first loss (or ln C, where a run should start)
        // together with a gradient norm several times the first step's. It catches a blow-up before the running median
        // has anything to compare with; later, the spike rule judges against the median and the early scale.
        double referenceLoss = s.crossEntropy && Double.isFinite(s.chanceLoss)
                ? Math.max(s.firstLoss, s.chanceLoss) : s.firstLoss;
        boolean early = !nonFinite && s.gradientCount <= RunState.GRADIENT_WINDOW && Double.isFinite(e.loss())
                && referenceLoss > 0
                && e.loss() > config.earlyLossFactor() * referenceLoss
                && s.firstGradientNorm > 0 && norm >= config.earlyGradientFactor() * s.firstGradientNorm;
        double first = Stats.first(layers);
        double last = Stats.last(layers);
        if (layers != null && layers.size() >= 2 && Double.isFinite(first) && Double.isFinite(last) && last > 0) {
            s.emaLogLayerRatio = Stats.ema(s.emaLogLayerRatio, Stats.log10(first) - Stats.log10(last), ALPHA);
            s.layerRatioHold = s.emaLogLayerRatio >= logLayerRatio ? s.layerRatioHold + 1 : 0;
        }
        boolean byRatio = s.layerRatioHold >= config.layerRatioPatience();
        // Growing gradients while the loss falls (a net escaping a flat start) are not an explosion: the loss must
        // be non-finite or 5 % plus three noise sigmas above its best, and not improving.
        // The rise must also undo a sliver of the progress the run made: a hard batch of a converged run moves its tiny
        // smoothed loss by 5 % of itself and by nothing of the way it came down.
        // Before the smoothed loss is warm (the first steps), the raw loss must be twice the first one.
        boolean lossUp = Double.isNaN(s.minEma)
                ? Double.isFinite(s.loss) && Double.isFinite(s.firstLoss) && s.loss > 2 * s.firstLoss
                : s.ema > s.minEma * 1.05 + 3 * s.emaSigma && s.lastStep - s.bestStep >= config.spikePatience()
                && s.ema - s.minEma > config.minLossRiseOfProgress() * (s.startLoss - s.minEma);
        boolean bySpike = s.spikeRun >= config.spikePatience() && (s.nonFiniteLossRun > 0 || lossUp);
        boolean calm = !nonFinite && !spike && !early && s.layerRatioHold == 0;
        s.explodingClear = calm ? s.explodingClear + 1 : 0;
        if (early || bySpike || (nonFinite && s.explosionStep < 0)) {
            // remembered for the diagnoses that follow an explosion (dead ReLU units name it as their cause)
            if (s.explosionStep < 0 || nonFinite || norm > s.explosionGradientNorm) {
                s.explosionStep = e.step();
                s.explosionGradientNorm = norm;
            }
        }
        boolean holds = nonFinite || bySpike || byRatio || early;
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("gradientNorm", norm).and("runningMedianGradientNorm", median);
        if (!Double.isNaN(s.emaLogLayerRatio)) {
            evidence.and("smoothedFirstLastRatio", Math.pow(10, s.emaLogLayerRatio));
        }
        if (nonFinite) {
            evidence.and("nonFiniteSteps", s.nonFiniteGradientRun);
            return Condition.holds(Alert.CRITICAL, "Exploding gradients: the gradient norm is " + norm
                    + " at step " + e.step() + ".", evidence.map(), remedy(), Alert.ACTION_STOP);
        }
        if (early && !bySpike) {
            evidence.and("loss", e.loss()).and("referenceLoss", referenceLoss)
                    .and("firstGradientNorm", s.firstGradientNorm)
                    .and("factorOfFirstGradientNorm", norm / s.firstGradientNorm);
            return Condition.holds(Alert.WARNING, String.format("Exploding gradients: at step %d the loss jumped to "
                            + "%.4g, %.0fx %s %.4g, with the gradient norm at %.3g, %.0fx the first step's %.3g.",
                    e.step(), e.loss(), e.loss() / referenceLoss, referenceLoss == s.firstLoss ? "the first loss"
                            : "ln(C)", referenceLoss, norm, norm / s.firstGradientNorm, s.firstGradientNorm),
                    evidence.map(), remedy(), Alert.ACTION_DECAY_LR);
        }
        if (bySpike || byRatio) {
            evidence.and("spikeFactor", median > 0 ? norm / median : Double.NaN).and("spikeSteps", s.spikeRun)
                    .and("layerRatioThreshold", config.layerRatio());
            String why = bySpike
                    ? String.format("the gradient norm %.3g is %.0fx its running median %.3g for %d steps", norm,
                    norm / median, median, s.spikeRun)
                    : String.format("the first layer's gradient norm is %.0fx the last layer's for %d steps",
                    Math.pow(10, s.emaLogLayerRatio), s.layerRatioHold);
            return Condition.holds(Alert.WARNING, "Exploding gradients: " + why + ".", evidence.map(), remedy(),
                    Alert.ACTION_DECAY_LR);
        }
        if (s.explodingClear >= config.layerRatioPatience()) {
            return Condition.cleared("Gradient norms are back to their running median.", evidence.map());
        }
        return Condition.UNCHANGED;
    }

    private static double l2(Map<String, Double> layers) {
        if (layers == null || layers.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (Double v : layers.values()) {
            if (v == null) {
                return Double.NaN;
            }
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
