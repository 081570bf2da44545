package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.List;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.firstFinite;

/**
 * {@code lr-decayed-too-early}: raise the learning rate back to its value before the decay, once, and make the
 * next plateau decay wait longer (the cooldown grows by {@link PolicySettings#tooEarlyWaitFactor()}).
 */
public final class LrDecayedTooEarlyReaction implements AlertReaction {

    private static final String NAME = DetectorName.LR_DECAYED_TOO_EARLY.id();

    private final PolicySettings settings;

    public LrDecayedTooEarlyReaction(PolicySettings settings) {
        this.settings = settings;
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.LR_DECAYED_TOO_EARLY);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
        if (trial.plateau.raisedBack) {
            return Reaction.ignore(NAME, "the rate was raised back once already; waiting longer before decaying");
        }
        Double before = trial.plateau.previousLearningRate;
        if (before == null && alert.evidence() != null) {
            before = firstFinite(alert.evidence(), "previousLearningRate", "learningRateBefore");
        }
        if (before == null || !(before > 0)) {
            return Reaction.ignore(NAME, "the rate before the decay is unknown: cannot raise it back");
        }
        trial.plateau.raisedBack = true;
        trial.plateau.waitMultiplier *= settings.tooEarlyWaitFactor();
        trial.plateau.previousLearningRate = trial.learningRate;
        trial.learningRate = before;
        trial.plateau.lastDecayStep = alert.step();
        return new Reaction(NAME, Decision.SET_LEARNING_RATE, before, "learning rate raised back to "
                + Ranges.fmt(before) + "; the next decay waits " + settings.tooEarlyWaitFactor() + "x longer", List.of(), null);
    }
}
