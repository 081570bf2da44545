package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code lr-decayed-too-early}: a plateau (as {@link PlateauDetector} defines it, progress before it not
 * required) whose last progress came within {@code afterDropSteps} of a learning-rate decay ("flat right
 * after a decay step", CS231n) made while the loss was still improving (the engine keeps a decay only if
 * the last progress came within {@code progressBeforeDropSteps} before it). Resolves when the loss improves again.
 */
public final class LrDecayedTooEarlyDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.LR_DECAYED_TOO_EARLY);

    private final MonitorConfig.LrDecayedTooEarly config;
    private final PlateauDetector plateau;

    public LrDecayedTooEarlyDetector(MonitorConfig.LrDecayedTooEarly config, PlateauDetector plateau) {
        this.config = config;
        this.plateau = plateau;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.LR_DECAYED_TOO_EARLY;
    }

    @Override
    public String remedy() {
        return "Restore the learning rate from before the decay and decay later (or on a plateau only); "
                + "the loss stopped improving as soon as it dropped.";
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        if (s.lrDropStep < 0 || Double.isNaN(s.ema)) {
            return Condition.UNCHANGED;
        }
        boolean rightAfter = Math.abs(s.bestStep - s.lrDropStep) <= config.afterDropSteps();
        boolean stalled = plateau.stalled(s);
        boolean holds = rightAfter && stalled;
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("decayStep", s.lrDropStep).and("learningRateBefore", s.lrBeforeDrop)
                .and("learningRate", s.learningRate).and("smoothedLoss", s.ema).and("bestSmoothedLoss", s.bestEma)
                .and("stepsWithoutProgress", s.lastStep - s.bestStep);
        if (holds) {
            return Condition.holds(Alert.WARNING, String.format("Learning rate decayed too early: the loss has been "
                            + "flat for %d steps since the decay from %.3g to %.3g at step %d.", s.lastStep - s.bestStep,
                    s.lrBeforeDrop, s.learningRate, s.lrDropStep), evidence.map(), remedy(), Alert.ACTION_RAISE_LR);
        }
        if (!stalled) {
            return Condition.cleared("The loss improves again.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
