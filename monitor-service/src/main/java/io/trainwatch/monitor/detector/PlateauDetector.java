package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code plateau}: the loss fell (by {@code minProgress} of its start, "falls, then levels off" in
 * CS231n), then its smoothed value has not improved by a relative {@code minDelta} for
 * {@code patience} steps (restarted by a learning-rate decay, as ReduceLROnPlateau restarts its count)
 * while still above the converged level ({@code convergedFraction} of the start; for cross-entropy also
 * {@code convergedProbability}): ReduceLROnPlateau's rule on every step. A plateau whose update:parameter ratio is
 * below {@code minUpdateRatio} is a rate too low and suggests raising it ({@link RateCause}). Resolves when the
 * smoothed loss improves again or converges.
 */
public final class PlateauDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.PLATEAU);

    private final MonitorConfig.Plateau config;

    public PlateauDetector(MonitorConfig.Plateau config) {
        this.config = config;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.PLATEAU;
    }

    @Override
    public String remedy() {
        return "Decay the learning rate (x0.1, as ReduceLROnPlateau does) or use a schedule (step, cosine); "
                + "if it persists, the model may lack capacity.";
    }

    /** The patience in steps: {@code patience}, or {@code patienceEpochs} epochs when epochs are longer. */
    public long patience(RunState s) {
        return Math.max(config.patience(), config.patienceEpochs() * s.stepsPerEpoch);
    }

    /** Whether the run is on a plateau now: stalled for the patience, after warm-up, not converged. */
    public boolean stalled(RunState s) {
        return s.steps >= config.warmupSteps() && !Double.isNaN(s.ema) && !Double.isNaN(s.startLoss)
                && s.lastStep - Math.max(s.bestStep, s.plateauFromStep) >= patience(s) && !converged(s);
    }

    boolean progressed(RunState s) {
        return s.minEma <= s.startLoss - config.minProgress() * Math.abs(s.startLoss);
    }

    /**
     * Converged, not on a plateau: under {@code convergedFraction} of the start, or, for softmax cross-entropy, a run
     * whose lowest smoothed loss gave the true class a geometric-mean probability exp(-loss) of at least
     * {@code convergedProbability}. That is a level the run reached: an optimiser's bounce above it later is noise
     * around a converged loss (or a divergence, which the divergence detector judges), not a plateau.
     */
    boolean converged(RunState s) {
        return (s.startLoss > 0 && s.ema < config.convergedFraction() * s.startLoss)
                || (s.crossEntropy && s.minEma >= 0 && Math.exp(-s.minEma) >= config.convergedProbability());
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        if (s.steps < config.warmupSteps() || Double.isNaN(s.ema) || Double.isNaN(s.startLoss)) {
            return Condition.UNCHANGED;
        }
        long without = s.lastStep - s.bestStep;
        // A loss that climbed back half-way to its start is diverging, not on a plateau.
        boolean climbing = s.ema - s.minEma > 0.5 * (s.startLoss - s.minEma);
        boolean holds = stalled(s) && progressed(s) && !climbing;
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("smoothedLoss", s.ema).and("bestSmoothedLoss", s.bestEma)
                .and("startLoss", s.startLoss).and("stepsWithoutProgress", without).and("minDelta", config.minDelta());
        if (holds) {
            evidence.and("patience", patience(s)).and("learningRate", s.learningRate);
            double low = RateCause.lowUpdateRatio(s, config.minUpdateRatio());
            if (!Double.isNaN(low)) {
                evidence.and("smoothedUpdateRatio", low);
                return Condition.holds(Alert.INFO, String.format("Plateau: the smoothed loss %.4g has not improved by "
                                + "%.0f%% for %d steps (best %.4g, start %.4g): %s.", s.ema, 100 * config.minDelta(),
                        without, s.bestEma, s.startLoss, RateCause.tooLow(low)), evidence.map(),
                        RateCause.raiseRemedy(low), Alert.ACTION_RAISE_LR);
            }
            return Condition.holds(Alert.INFO, String.format("Plateau: the smoothed loss %.4g has not improved by "
                            + "%.0f%% for %d steps (best %.4g, start %.4g).", s.ema, 100 * config.minDelta(), without,
                    s.bestEma, s.startLoss), evidence.map(), remedy(), Alert.ACTION_DECAY_LR);
        }
        if (without < patience(s) || converged(s)) {
            return Condition.cleared("The loss improves again.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
