package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunState;

/**
 * {@code divergence}: a non-finite loss fires at once (Keras TerminateOnNaN, SageMaker ExplodingTensor);
 * a smoothed loss {@code startFactor} times its start (for cross-entropy: its start or ln(C), whichever
 * is larger), {@code bestFactor} times its best having lost half of the progress made, or a raw
 * cross-entropy of 1e3 (AUTOTRAINER) above that start fire after {@code patience} steps. Resolves after as many finite,
 * normal steps.
 */
public final class DivergenceDetector implements Detector {

    /** This detector's bit in {@link RunState#active(int)}. */
    private static final int INDEX = RunState.index(DetectorName.DIVERGENCE);

    private final MonitorConfig.Divergence config;

    public DivergenceDetector(MonitorConfig.Divergence config) {
        this.config = config;
    }

    @Override
    public DetectorName detector() {
        return DetectorName.DIVERGENCE;
    }

    @Override
    public String remedy() {
        return "Stop the run; restart from the last good checkpoint with a learning rate 10x smaller, gradient "
                + "clipping, and check the data for NaN or extreme values.";
    }

    @Override
    public Condition onStep(RunState s, StepEvent e) {
        double loss = e.loss();
        if (!Double.isFinite(loss)) {
            s.divergenceClear = 0;
            s.divergenceHold = Math.max(s.divergenceHold, config.patience());
            if (s.active(INDEX)) {
                return Condition.STILL_HOLDS;
            }
            return Condition.holds(Alert.CRITICAL, "Divergence: the loss is " + loss + " at step " + e.step() + ".",
                    Evidence.of("loss", loss).and("nonFiniteSteps", s.nonFiniteLossRun)
                            .and("bestSmoothedLoss", s.minEma).map(), remedy(), Alert.ACTION_STOP);
        }
        if (Double.isNaN(s.ema) || Double.isNaN(s.startLoss)) {
            return Condition.UNCHANGED;
        }
        double reference = s.crossEntropy && Double.isFinite(s.chanceLoss)
                ? Math.max(s.startLoss, s.chanceLoss) : s.startLoss;
        boolean aboveStart = reference > 0 && s.ema > config.startFactor() * reference;
        boolean aboveBest = s.minEma > 0 && s.startLoss > s.minEma && s.ema > config.bestFactor() * s.minEma
                && s.ema - s.minEma > 0.5 * (s.startLoss - s.minEma);
        // AUTOTRAINER's 1e3 only once the loss is above where the run started: a loss that starts at 1e5 and falls
        // is badly initialised (bad-initialization reports it), not diverging, which is "far above its start or best".
        boolean absolute = s.crossEntropy && loss >= config.absoluteLoss() && loss > reference;
        if (aboveStart || aboveBest || absolute) {
            s.divergenceHold++;
            s.divergenceClear = 0;
        } else {
            s.divergenceHold = 0;
            s.divergenceClear++;
        }
        boolean holds = s.divergenceHold >= config.patience();
        Condition unread = Condition.unread(s, INDEX, holds);
        if (unread != null) {
            return unread;
        }
        Evidence evidence = Evidence.of("loss", loss).and("smoothedLoss", s.ema).and("startLoss", s.startLoss)
                .and("bestSmoothedLoss", s.minEma);
        if (holds) {
            String why = absolute ? String.format("the loss is %.4g, over %.0f", loss, config.absoluteLoss())
                    : aboveStart ? String.format("the smoothed loss %.4g is %.1fx its start %.4g", s.ema,
                    s.ema / reference, reference)
                    : String.format("the smoothed loss %.4g is %.1fx the best %.4g", s.ema, s.ema / s.minEma, s.minEma);
            return Condition.holds(Alert.CRITICAL, "Divergence: " + why + ".", evidence.map(), remedy(),
                    Alert.ACTION_STOP);
        }
        if (s.divergenceClear >= config.patience()) {
            return Condition.cleared("The loss is finite and back under its start.", evidence.map());
        }
        return Condition.UNCHANGED;
    }
}
